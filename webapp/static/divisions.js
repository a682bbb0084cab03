// 行政区划 pickers: every input[data-division] gets province → city → county selects above it (the code table is
// /registration/divisions.json); choosing a county writes its 6-digit code into the input, which stays editable
// for a 12-digit code. Without JavaScript the code is typed as before.
document.addEventListener("DOMContentLoaded", () => {
  const inputs = document.querySelectorAll("input[data-division]");
  if (!inputs.length) return;
  fetch("/registration/divisions.json", { credentials: "same-origin" })
    .then((response) => response.json())
    .then((tree) => inputs.forEach((input) => picker(input, tree)));

  function select(label, items, chosen) {
    const element = document.createElement("select");
    element.className = "form-select form-select-sm";
    element.setAttribute("aria-label", label);
    element.add(new Option(`请选择${label}…`, ""));
    items.forEach((item) => element.add(new Option(item.name, item.code, false, item.code === chosen)));
    return element;
  }

  function picker(input, tree) {
    const box = document.createElement("div");
    box.className = "d-flex gap-1 mb-1 xj-division";
    input.before(box);
    const code = (input.value || "").slice(0, 6);
    const levels = [
      { label: "省", items: () => tree, pick: code.slice(0, 2) + "0000" },
      { label: "市", pick: code.slice(0, 4) + "00" },
      { label: "区县", pick: code },
    ];
    const selects = [];
    const fill = (depth, items) => {
      selects.slice(depth).forEach((s) => s.remove());
      selects.length = depth;
      if (!items || !items.length) return;
      const element = select(levels[depth].label, items, levels[depth].pick);
      selects.push(element);
      box.append(element);
      element.addEventListener("change", () => {
        levels.forEach((level) => { level.pick = ""; });
        const item = items.find((i) => i.code === element.value);
        if (!item) return;
        if (depth === 2 || !item.children || !item.children.length) {
          input.value = item.code;
        } else {
          input.value = "";
          fill(depth + 1, item.children);
        }
      });
      const current = items.find((i) => i.code === element.value);
      if (current && current.children) fill(depth + 1, current.children);
    };
    fill(0, tree);
  }
});
