// Fields that belong to one decision (data-show-when-field / -value on their wrapper, values separated by |) are
// shown only while that decision is chosen; without JavaScript every field stays visible and the server still checks them.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-show-when-field]").forEach((wrapper) => {
    const form = wrapper.closest("form");
    const name = wrapper.dataset.showWhenField;
    const update = () => {
      const chosen = form.querySelector(`[name="${name}"]:checked`) || form.querySelector(`select[name="${name}"]`);
      wrapper.hidden = !chosen || !wrapper.dataset.showWhenValue.split("|").includes(chosen.value);
    };
    form.querySelectorAll(`[name="${name}"]`).forEach((input) => input.addEventListener("change", update));
    update();
  });
});
