// The folder page's script. Without it the page still browses: links,
// sorting on the server (?sort=&order=), times in UTC, "Download folder as
// zip". With it:
//   - the column headers sort in the browser (folders first, ties by
//     name, as the server does), updating aria-sort;
//   - times show in the viewer's own time zone;
//   - a filter box hides the rows whose name does not contain its text;
//   - where the user may write (the server renders #write only then):
//     upload (picker or drop, one progress bar per file, asking before a
//     file is replaced), new folder,
//     rename and delete (each through a dialog). Every change is a WebDAV
//     request (PUT, MKCOL, MOVE, DELETE) to the page's own origin; the
//     table is then re-read from the server.
// Files larger than data-chunk-size go through Nextcloud's chunked
// uploads when the server offers them (data-chunk-uploads): MKCOL an
// upload folder, PUT each chunk (a failed chunk is retried, up to 5 tries
// with a growing pause), MOVE its .file onto the destination. The upload's
// id is kept in localStorage until it completes, so the same file chosen
// again, after a failure or a reload, sends only the chunks the server
// lacks (it asks with PROPFIND). The server forgets an untouched upload
// after chunked-upload-expiry.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const main = $("main");
  const self = main.dataset.self;
  const sortStatus = $("sort-status");
  const alertBox = $("alert");
  const lower = (s) => s.toLowerCase();
  const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  const byName = (a, b) =>
    cmp(lower(a.dataset.name), lower(b.dataset.name)) || cmp(a.dataset.name, b.dataset.name);
  const byKey = {
    name: byName,
    size: (a, b) => cmp(Number(a.dataset.size), Number(b.dataset.size)),
    modified: (a, b) => cmp(Number(a.dataset.mtime), Number(b.dataset.mtime)),
  };
  const write = $("write");
  let rowActions = null; // adds Rename and Delete to each row, with write controls
  const pad = (n) => String(n).padStart(2, "0");

  function sortBy(table, th, desc) {
    const key = th.dataset.key;
    const body = table.tBodies[0];
    const rows = Array.from(body.rows);
    rows.sort((a, b) => {
      if (a.dataset.dir !== b.dataset.dir) return a.dataset.dir === "1" ? -1 : 1;
      const c = byKey[key](a, b) || byName(a, b);
      return desc ? -c : c;
    });
    body.append(...rows);
    const order = desc ? "descending" : "ascending";
    for (const h of table.tHead.rows[0].cells) h.removeAttribute("aria-sort");
    th.setAttribute("aria-sort", order);
    sortStatus.textContent = "Sorted by " + th.textContent.trim() + ", " + order;
    history.replaceState(null, "", "?sort=" + key + "&order=" + (desc ? "desc" : "asc"));
  }

  // enhance makes the table (new after each refresh) the script's own.
  function enhance() {
    const table = $("listing");
    if (!table) return;
    for (const th of table.tHead.rows[0].cells) {
      const link = th.querySelector("a.sort");
      if (!link) continue;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.append(...link.childNodes);
      link.replaceWith(button);
      button.addEventListener("click", () =>
        sortBy(table, th, th.getAttribute("aria-sort") === "ascending"));
      const note = th.querySelector(".note");
      if (note && th.dataset.key === "modified") note.textContent = " (your time)";
    }
    for (const t of table.querySelectorAll("time[datetime]")) {
      const d = new Date(t.getAttribute("datetime"));
      if (isNaN(d)) continue;
      const clock = document.createElement("span");
      clock.className = "clock";
      clock.textContent = " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
      t.replaceChildren(d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()), clock);
      t.title = d.toString();
    }
    if (rowActions) rowActions(table);
    applyFilter();
  }

  // The filter box: hides rows whose name lacks its text (any case).
  const filter = $("filter");
  const filterCount = $("filter-count");
  function applyFilter() {
    const table = $("listing");
    const q = lower(filter.value.trim());
    if (!table) {
      filterCount.textContent = "";
      return;
    }
    const rows = Array.from(table.tBodies[0].rows);
    let shown = 0;
    for (const tr of rows) {
      tr.hidden = q !== "" && !lower(tr.dataset.name).includes(q);
      if (!tr.hidden) shown++;
    }
    filterCount.textContent = q === "" ? "" : shown + " of " + rows.length + " shown";
  }
  $("filter-box").hidden = false;
  filter.addEventListener("input", applyFilter);

  function say(msg) {
    sortStatus.textContent = msg;
  }
  function fail(msg) {
    alertBox.textContent = msg;
  }

  // refresh re-reads the folder's page and puts its table in place.
  async function refresh() {
    const res = await fetch(location.href, { headers: { Accept: "text/html" }, cache: "no-store" });
    if (!res.ok) throw new Error("could not reload the folder (" + res.status + ")");
    const doc = new DOMParser().parseFromString(await res.text(), "text/html");
    const content = doc.getElementById("content");
    const summary = doc.getElementById("summary");
    if (!content || !summary) return;
    $("content").replaceWith(document.adoptNode(content));
    $("summary").textContent = summary.textContent;
    enhance();
  }

  enhance();
  if (write) writeControls();

  function writeControls() {
    write.hidden = false;
    const chunkUploads = write.dataset.chunkUploads;
    const chunkDest = write.dataset.chunkDest;
    const list = $("uploads");
    const input = $("upload-input");
    const dialog = $("dialog");
    const form = $("dialog-form");
    const field = $("dialog-field");
    const dInput = $("dialog-input");
    const dError = $("dialog-error");
    const dOk = $("dialog-ok");
    let onOk = null;

    const url = (name, dir) => self + encodeURIComponent(name) + (dir ? "/" : "");

    // message is the text of a failed answer: the server's own short
    // message, or its status.
    async function message(res) {
      let text = "";
      try {
        text = (await res.text()).trim();
      } catch (e) {}
      if (!text || text.startsWith("<")) text = res.status + " " + res.statusText;
      return text.slice(0, 300);
    }

    function badName(name) {
      if (name === "") return "Enter a name.";
      if (name === "." || name === ".." || name.includes("/")) return "A name cannot be . or .. or hold a /.";
      return "";
    }

    // ask opens the dialog; ok(value) returns an error text or "" when
    // done; cancel, if any, runs when the dialog closes otherwise (Cancel,
    // Escape).
    let onCancel = null;
    // focusAfter puts the focus back on the page once a change has
    // re-read the table, which removed the button the dialog came from:
    // on the row named focusName if it is there, else on the folder's
    // first link.
    let focusName = null;
    function focusAfter() {
      if (document.activeElement && document.activeElement !== document.body) return;
      const rows = $("listing") ? Array.from($("listing").tBodies[0].rows) : [];
      const row = rows.find((tr) => tr.dataset.name === focusName) || rows[0];
      const link = row ? row.querySelector("a") : $("upload-button");
      if (link) link.focus();
      focusName = null;
    }
    function ask(title, text, value, okLabel, ok, cancel) {
      onCancel = cancel || null;
      $("dialog-title").textContent = title;
      $("dialog-text").textContent = text;
      field.hidden = value === null;
      dInput.value = value || "";
      dError.textContent = "";
      dOk.textContent = okLabel;
      $("dialog-cancel").textContent = "Cancel";
      onOk = ok;
      dialog.showModal();
      if (value !== null) {
        dInput.focus();
        const dot = dInput.value.lastIndexOf(".");
        dInput.setSelectionRange(0, dot > 0 ? dot : dInput.value.length);
      } else {
        $("dialog-cancel").focus();
      }
    }
    $("dialog-cancel").addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => {
      const cancel = onCancel;
      onCancel = null;
      if (cancel) cancel();
    });
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (!onOk) return;
      dOk.disabled = true;
      try {
        const err = await onOk(dInput.value.trim());
        if (err) dError.textContent = err;
        else {
          onCancel = null;
          dialog.close();
          focusAfter();
        }
      } catch (e) {
        dError.textContent = String(e.message || e);
      } finally {
        dOk.disabled = false;
      }
    });

    $("mkdir-button").addEventListener("click", () =>
      ask("New folder", "The folder is made in " + decodeURIComponent(self) + ".", "", "Create", async (name) => {
        const bad = badName(name);
        if (bad) return bad;
        const res = await fetch(url(name, true), { method: "MKCOL" });
        if (res.status === 405) return "“" + name + "” already exists.";
        if (!res.ok) return await message(res);
        focusName = name;
        await refresh();
        say("Folder " + name + " created");
        return "";
      }));

    function rename(tr) {
      const old = tr.dataset.name;
      const dir = tr.dataset.dir === "1";
      ask("Rename", "New name for “" + old + "”:", old, "Rename", async (name) => {
        const bad = badName(name);
        if (bad) return bad;
        if (name === old) return "";
        const res = await fetch(url(old, dir), {
          method: "MOVE",
          headers: { Destination: location.origin + url(name, dir), Overwrite: "F" },
        });
        if (res.status === 412) return "“" + name + "” already exists: choose another name.";
        if (!res.ok) return await message(res);
        focusName = name;
        await refresh();
        say("Renamed " + old + " to " + name);
        return "";
      });
    }

    function remove(tr) {
      const name = tr.dataset.name;
      const dir = tr.dataset.dir === "1";
      const text = dir
        ? "Delete the folder “" + name + "” and everything in it? This cannot be undone."
        : "Delete “" + name + "”? This cannot be undone.";
      ask("Delete", text, null, "Delete", async () => {
        const res = await fetch(url(name, dir), { method: "DELETE" });
        if (!res.ok && res.status !== 404) return await message(res);
        await refresh();
        say("Deleted " + name);
        return "";
      });
    }

    function addRowActions(table) {
      const head = table.tHead.rows[0];
      if (!head.querySelector("th.actions")) {
        const th = document.createElement("th");
        th.scope = "col";
        th.className = "actions";
        const label = document.createElement("span");
        label.className = "vh";
        label.textContent = "Actions";
        th.append(label);
        head.append(th);
      }
      for (const tr of table.tBodies[0].rows) {
        if (tr.querySelector("td.actions")) continue;
        const td = document.createElement("td");
        td.className = "actions";
        tr.append(td);
        if (tr.dataset.write !== "1") continue; // the server says this member may not be changed
        for (const [label, act] of [["Rename", rename], ["Delete", remove]]) {
          const b = document.createElement("button");
          b.type = "button";
          b.className = "act " + label.toLowerCase();
          b.textContent = label;
          b.setAttribute("aria-label", label + " " + tr.dataset.name);
          b.addEventListener("click", () => act(tr));
          td.append(b);
        }
      }
    }
    // The table was enhanced before the write controls existed.
    rowActions = addRowActions;
    const table = $("listing");
    if (table) addRowActions(table);

    // Uploads: one at a time, in the order chosen.
    let queue = Promise.resolve();
    // upload sends files, after asking whether to replace those whose
    // name a file of the folder has (No uploads only the others).
    function upload(files) {
      alertBox.textContent = "";
      if (dialog.open) return fail("Close the open dialog first, then upload.");
      const table = $("listing");
      const files0 = table ? Array.from(table.tBodies[0].rows).filter((tr) => tr.dataset.dir === "0") : [];
      const taken = new Set(files0.map((tr) => tr.dataset.name));
      const clash = files.filter((f) => taken.has(f.name));
      if (clash.length === 0) return enqueue(files);
      const names = clash.map((f) => "“" + f.name + "”").join(", ");
      ask("Replace?", names + (clash.length === 1 ? " already exists" : " already exist") +
        " here. Replace " + (clash.length === 1 ? "it" : "them") + "? (Don’t replace uploads only the others.)",
        null, "Replace", async () => {
          enqueue(files);
          return "";
        }, () => enqueue(files.filter((f) => !taken.has(f.name))));
      $("dialog-cancel").textContent = "Don’t replace";
    }

    function enqueue(files) {
      for (const file of files) {
        const ui = uploadRow(file);
        queue = queue.then(() => send(file, ui)).then(
          () => ui.done(),
          (e) => ui.failed(String(e.message || e)));
      }
      queue = queue.then(() => refresh()).catch((e) => fail(String(e.message || e)));
    }

    function uploadRow(file) {
      const li = document.createElement("li");
      const name = document.createElement("span");
      name.className = "up-name";
      name.textContent = file.name;
      const bar = document.createElement("progress");
      bar.max = file.size || 1;
      bar.value = 0;
      bar.setAttribute("aria-label", "Uploading " + file.name);
      const state = document.createElement("span");
      state.className = "up-state";
      state.textContent = "waiting";
      li.append(name, bar, state);
      list.append(li);
      return {
        progress(n) {
          bar.value = n;
          state.textContent = Math.floor((100 * n) / (file.size || 1)) + "%";
        },
        note(text) {
          state.textContent = text;
        },
        done() {
          bar.value = bar.max;
          li.className = "ok";
          state.textContent = "done";
          say("Uploaded " + file.name);
        },
        failed(msg) {
          li.className = "failed";
          state.textContent = "failed: " + msg;
          fail("Upload of " + file.name + " failed: " + msg);
        },
      };
    }

    // xhr sends one request with a body, reporting upload progress; it
    // resolves with {status, text} (status 0: no answer).
    function xhr(method, target, body, headers, progress) {
      return new Promise((resolve) => {
        const x = new XMLHttpRequest();
        x.open(method, target);
        for (const [k, v] of Object.entries(headers || {})) x.setRequestHeader(k, v);
        if (progress) x.upload.addEventListener("progress", (e) => progress(e.loaded));
        x.addEventListener("load", () => resolve({ status: x.status, text: x.responseText, retry: x.getResponseHeader("Retry-After") }));
        x.addEventListener("error", () => resolve({ status: 0, text: "the connection failed" }));
        x.addEventListener("abort", () => resolve({ status: 0, text: "aborted" }));
        x.send(body);
      });
    }
    const ok = (r) => r.status >= 200 && r.status < 300;
    const why = (r) => (r.status ? (r.text || "").trim().slice(0, 300) || "status " + r.status : r.text);

    async function send(file, ui) {
      ui.note("0%");
      if (chunkUploads && file.size > Number(write.dataset.chunkSize)) return sendChunked(file, ui);
      const r = await xhr("PUT", url(file.name, false), file, {}, (n) => ui.progress(n));
      if (!ok(r)) throw new Error(why(r));
    }

    const sleep = (ms) => new Promise((res) => setTimeout(res, ms));
    const transient = (r) => r.status === 0 || r.status === 408 || r.status === 423 || r.status === 429 || r.status === 502 || r.status === 503 || r.status === 504;

    // withRetry repeats a request while it fails for a reason that may pass.
    async function withRetry(ui, what, attempt) {
      for (let i = 1; ; i++) {
        const r = await attempt();
        if (ok(r) || !transient(r) || i >= 5) return r;
        const wait = r.retry ? Number(r.retry) * 1000 : 500 * 2 ** i;
        ui.note(what + " failed (" + why(r) + "), retrying");
        await sleep(Math.min(wait, 15000));
      }
    }

    function storageKey(file) {
      return "atomdav-upload\n" + chunkDest + "\n" + file.name + "\n" + file.size + "\n" + file.lastModified;
    }
    function remember(key, id) {
      try {
        if (id) localStorage.setItem(key, id);
        else localStorage.removeItem(key);
      } catch (e) {}
    }
    function recall(key) {
      try {
        return localStorage.getItem(key);
      } catch (e) {
        return null;
      }
    }

    // chunksHeld lists the chunks an upload already holds (name → size),
    // or null when the server knows no such upload.
    async function chunksHeld(id) {
      const res = await fetch(chunkUploads + id + "/", { method: "PROPFIND", headers: { Depth: "1" } });
      if (res.status !== 207) return null;
      const doc = new DOMParser().parseFromString(await res.text(), "application/xml");
      const held = new Map();
      for (const resp of doc.getElementsByTagNameNS("DAV:", "response")) {
        const href = resp.getElementsByTagNameNS("DAV:", "href")[0];
        const len = resp.getElementsByTagNameNS("DAV:", "getcontentlength")[0];
        if (!href || !len) continue;
        held.set(decodeURIComponent(href.textContent.replace(/\/$/, "").split("/").pop()), Number(len.textContent));
      }
      return held;
    }

    async function sendChunked(file, ui) {
      const size = Number(write.dataset.chunkSize);
      const dest = location.origin + chunkDest + encodeURIComponent(file.name);
      const hdr = { Destination: dest, "OC-Total-Length": String(file.size) };
      const key = storageKey(file);
      let id = recall(key);
      let held = id ? await chunksHeld(id) : null;
      if (!held) {
        const bytes = crypto.getRandomValues(new Uint8Array(12));
        id = "web-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
        const r = await withRetry(ui, "starting", () => xhr("MKCOL", chunkUploads + id, null, hdr));
        if (!ok(r)) throw new Error(why(r));
        remember(key, id);
        held = new Map();
      }
      let sent = 0;
      const count = Math.ceil(file.size / size);
      for (let i = 0; i < count; i++) {
        const start = i * size;
        const end = Math.min(file.size, start + size);
        const name = String(i + 1);
        if (held.get(name) === end - start) {
          sent += end - start;
          ui.progress(sent);
          continue;
        }
        const r = await withRetry(ui, "chunk " + name, () =>
          xhr("PUT", chunkUploads + id + "/" + name, file.slice(start, end), hdr, (n) => ui.progress(sent + n)));
        if (!ok(r)) throw new Error(why(r));
        sent += end - start;
        ui.progress(sent);
      }
      ui.note("assembling");
      const r = await withRetry(ui, "assembling", () => xhr("MOVE", chunkUploads + id + "/.file", null, hdr));
      if (!ok(r)) {
        if (r.status === 400 || r.status === 404) remember(key, null); // start afresh next time
        throw new Error(why(r));
      }
      remember(key, null);
    }

    $("upload-button").addEventListener("click", () => input.click());
    input.addEventListener("change", () => {
      upload(Array.from(input.files));
      input.value = "";
    });
    // Drop anywhere on the page.
    let depth = 0;
    const hasFiles = (ev) => ev.dataTransfer && Array.from(ev.dataTransfer.types).includes("Files");
    document.addEventListener("dragenter", (ev) => {
      if (!hasFiles(ev)) return;
      depth++;
      document.body.classList.add("dropping");
    });
    document.addEventListener("dragleave", () => {
      if (--depth <= 0) {
        depth = 0;
        document.body.classList.remove("dropping");
      }
    });
    document.addEventListener("dragover", (ev) => {
      if (hasFiles(ev)) ev.preventDefault();
    });
    document.addEventListener("drop", (ev) => {
      depth = 0;
      document.body.classList.remove("dropping");
      if (!ev.dataTransfer || ev.dataTransfer.files.length === 0) return;
      ev.preventDefault();
      upload(Array.from(ev.dataTransfer.files));
    });
  }
})();
