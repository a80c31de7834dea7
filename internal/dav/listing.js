// Sorts the listing in the browser: each column header link becomes a
// button that orders the rows (folders first, ties by name, as the server
// does for ?sort=&order=), updates aria-sort and announces the order.
// Without this script the links sort on the server.
(() => {
  "use strict";
  const table = document.getElementById("listing");
  if (!table) return;
  const body = table.tBodies[0];
  const status = document.getElementById("sort-status");
  const heads = Array.from(table.tHead.rows[0].cells);
  const lower = (s) => s.toLowerCase();
  const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  const byName = (a, b) =>
    cmp(lower(a.dataset.name), lower(b.dataset.name)) || cmp(a.dataset.name, b.dataset.name);
  const byKey = {
    name: byName,
    size: (a, b) => cmp(Number(a.dataset.size), Number(b.dataset.size)),
    modified: (a, b) => cmp(Number(a.dataset.mtime), Number(b.dataset.mtime)),
  };

  function sortBy(th, desc) {
    const key = th.dataset.key;
    const rows = Array.from(body.rows);
    rows.sort((a, b) => {
      if (a.dataset.dir !== b.dataset.dir) return a.dataset.dir === "1" ? -1 : 1;
      const c = byKey[key](a, b) || byName(a, b);
      return desc ? -c : c;
    });
    body.append(...rows);
    const order = desc ? "descending" : "ascending";
    for (const h of heads) h.removeAttribute("aria-sort");
    th.setAttribute("aria-sort", order);
    status.textContent = "Sorted by " + th.textContent.trim() + ", " + order;
    history.replaceState(null, "", "?sort=" + key + "&order=" + (desc ? "desc" : "asc"));
  }

  for (const th of heads) {
    const link = th.querySelector("a.sort");
    if (!link) continue;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "sort";
    button.append(...link.childNodes);
    link.replaceWith(button);
    button.addEventListener("click", () =>
      sortBy(th, th.getAttribute("aria-sort") === "ascending"));
  }
})();
