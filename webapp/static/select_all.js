// "全选" checkboxes (CSP allows no inline handlers): a checkbox with data-select-all ticks every box of its form
// named by the attribute's value (student_id when empty). A button with data-confirm asks first; one with
// data-confirm-none asks only when none of its form's boxes of that name is ticked (its default then applies to all).
document.addEventListener("DOMContentLoaded", () => {
  const boxes = (form, name) => form.querySelectorAll(`input[type=checkbox][name="${name || "student_id"}"]`);
  document.querySelectorAll("input[data-select-all]").forEach((box) => {
    box.addEventListener("change", () => {
      boxes(box.form, box.dataset.selectAll).forEach((c) => { c.checked = box.checked; });
    });
  });
  document.querySelectorAll("button[data-confirm]").forEach((button) => {
    button.addEventListener("click", (event) => {
      if (!window.confirm(button.dataset.confirm)) { event.preventDefault(); }
    });
  });
  document.querySelectorAll("button[data-confirm-none]").forEach((button) => {
    button.addEventListener("click", (event) => {
      const ticked = Array.from(boxes(button.form, button.dataset.boxes)).some((c) => c.checked);
      if (!ticked && !window.confirm(button.dataset.confirmNone)) { event.preventDefault(); }
    });
  });
});
