// The DOM helpers of the editor's panels: elements built without innerHTML (the CSP allows no inline code).

export function is(bo, type) {
  return Boolean(bo && bo.$instanceOf && bo.$instanceOf(type));
}

export function el(tag, attrs, children) {
  const node = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([key, value]) => {
    if (value === undefined || value === null || value === false) return;
    if (key === "text") node.textContent = value;
    else if (key in node && key !== "list") node[key] = value;
    else node.setAttribute(key, value === true ? "" : value);
  });
  (children || []).forEach((child) => child && node.appendChild(child));
  return node;
}
