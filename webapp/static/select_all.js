// "全选" checkboxes (CSP allows no inline handlers): a checkbox with data-select-all ticks every name=student_id box
// of its form; a button with data-confirm asks first.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("input[data-select-all]").forEach((box) => {
    box.addEventListener("change", () => {
      box.form.querySelectorAll("input[name=student_id]").forEach((c) => { c.checked = box.checked; });
    });
  });
  document.querySelectorAll("button[data-confirm]").forEach((button) => {
    button.addEventListener("click", (event) => {
      if (!window.confirm(button.dataset.confirm)) { event.preventDefault(); }
    });
  });
});
