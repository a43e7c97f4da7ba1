// Resumable uploads (tus 1.0) for the media upload form: each file goes in pieces, and a dropped connection
// costs only the piece in flight. After a reconnect the client asks the server where the upload stands (HEAD)
// and sends the rest. Without JavaScript, or in an old browser, the form posts the files in one request.
(function () {
  const form = document.getElementById("media-upload-form");
  if (!form || !form.dataset.resumableUrl) return;
  if (!(window.fetch && window.Blob && Blob.prototype.slice && window.TextEncoder && window.FormData)) return;

  // A piece should take about PIECE_SECONDS on the link at hand: short enough that a slow link never runs into
  // the server's request timeout (gunicorn's 300 s) and a drop costs little, long enough that a fast link pays
  // the per-request cost rarely (each request costs the server a few milliseconds of CPU).
  const MiB = 1024 * 1024;
  const FIRST_PIECE = 8 * MiB;
  const SMALLEST_PIECE = 1 * MiB;
  const LARGEST_PIECE = 64 * MiB;
  const PIECE_SECONDS = 30;
  let pieceSize = FIRST_PIECE;
  const adapt = (bytes, milliseconds) => {
    const rate = bytes / Math.max(milliseconds / 1000, 0.001);
    pieceSize = Math.min(LARGEST_PIECE, Math.max(SMALLEST_PIECE, Math.round((rate * PIECE_SECONDS) / MiB) * MiB));
  };
  const RETRY_DELAYS = [1000, 2000, 4000, 8000, 15000, 30000, 30000, 60000, 60000, 60000];
  const bar = document.getElementById("upload-progress");
  const status = document.getElementById("upload-status");
  const errors = document.getElementById("upload-errors");
  const button = form.querySelector("button[type=submit]");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;

  class Refusal extends Error {}

  const base64 = (text) => {
    let binary = "";
    new TextEncoder().encode(text).forEach((byte) => { binary += String.fromCharCode(byte); });
    return btoa(binary);
  };

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  const say = (text) => { status.hidden = !text; status.textContent = text || ""; };

  const showErrors = (lines) => {
    errors.replaceChildren(...lines.map((line) => { const p = document.createElement("p"); p.textContent = line; return p; }));
    errors.hidden = lines.length === 0;
  };

  const labelOf = (field) => {
    const label = form.querySelector(`label[for="id_${field}"]`) ||
      form.querySelector(`[name="${field}"]`)?.closest("fieldset")?.querySelector("legend");
    return label ? label.textContent.trim() : field;
  };

  const describe = async (response) => {
    try {
      const body = await response.json();
      return Object.entries(body).map(([field, messages]) => {
        const text = Array.isArray(messages) ? messages.join(" ") : String(messages);
        return field === "detail" || field === "non_field_errors" ? text : `${labelOf(field)}: ${text}`;
      });
    } catch (error) {
      return [`${response.status} ${response.statusText}`];
    }
  };

  // The pickers post record ids; the upload API names records by their keys (an incident's reference, a
  // witness's pseudonym): each ticked box carries its record's key, and typed keys are sent as they are.
  const picked = (data, name) => {
    const ticked = Array.from(form.querySelectorAll(`input[name="${name}"]:checked`)).map((box) => box.dataset.key);
    const typed = String(data.get(`${name}_find`) || "").split(/[,،\n]/).map((key) => key.trim());
    return ticked.concat(typed).filter((key) => key);
  };

  const details = () => {
    const data = new FormData(form);
    const fields = { source: data.get("source") || "", source_url: data.get("source_url") || "",
      description: data.get("description") || "", witness: picked(data, "witness").join(","),
      incidents: picked(data, "incidents").join(",") };
    return fields;
  };

  const headers = (extra) => Object.assign({ "Tus-Resumable": "1.0.0", "X-CSRFToken": csrf }, extra);

  // One PATCH by XHR, for its upload progress. Resolves with the new offset; rejects with a Refusal (the server
  // said no: do not retry) or another error (the network: retry).
  const sendPiece = (location, file, offset, onProgress) => new Promise((resolve, reject) => {
    const piece = file.slice(offset, Math.min(offset + pieceSize, file.size));
    const started = Date.now();
    const request = new XMLHttpRequest();
    request.open("PATCH", location);
    Object.entries(headers({ "Upload-Offset": String(offset), "Content-Type": "application/offset+octet-stream" }))
      .forEach(([name, value]) => request.setRequestHeader(name, value));
    request.upload.addEventListener("progress", (event) => onProgress(offset + event.loaded));
    request.addEventListener("load", () => {
      if (request.status === 204) {
        adapt(piece.size, Date.now() - started);
        resolve(Number(request.getResponseHeader("Upload-Offset")));
        return;
      }
      if (request.status === 409 || request.status === 423 || request.status >= 500) { reject(new Error("retry")); return; }
      let message = `${request.status}`;
      try { message = Object.values(JSON.parse(request.responseText)).flat().join(" "); } catch (error) { /* keep */ }
      reject(new Refusal(message));
    });
    request.addEventListener("error", () => reject(new Error("network")));
    request.addEventListener("abort", () => reject(new Error("network")));
    request.send(piece);
  });

  const whereIs = async (location) => {
    const response = await fetch(location, { method: "HEAD", headers: headers({}), credentials: "same-origin" });
    if (response.status === 404) return null;
    if (!response.ok) throw new Error("retry");
    return Number(response.headers.get("Upload-Offset"));
  };

  const create = async (file, fields) => {
    const metadata = Object.entries(Object.assign({ filename: file.name }, fields))
      .map(([key, value]) => `${key} ${base64(value)}`).join(",");
    const response = await fetch(form.dataset.resumableUrl, {
      method: "POST", credentials: "same-origin",
      headers: headers({ "Upload-Length": String(file.size), "Upload-Metadata": metadata }),
    });
    if (response.status !== 201) throw new Refusal((await describe(response)).join("\n"));
    return response.headers.get("Location");
  };

  // The same file with the same details, chosen again after a reload, continues the upload it started.
  const memoryKey = (file, fields) =>
    `casework-upload:${form.dataset.resumableUrl}:${file.name}:${file.size}:${file.lastModified}:${JSON.stringify(fields)}`;

  const upload = async (file, fields, onProgress) => {
    const key = memoryKey(file, fields);
    let location = localStorage.getItem(key);
    let offset = location ? await whereIs(location).catch(() => null) : null;
    if (offset === null) {
      location = await create(file, fields);
      localStorage.setItem(key, location);
      offset = 0;
    }
    let attempt = 0;
    while (offset < file.size) {
      try {
        offset = await sendPiece(location, file, offset, onProgress);
        attempt = 0;
        say(form.dataset.sending.replace("{name}", file.name));
      } catch (error) {
        if (error instanceof Refusal) { localStorage.removeItem(key); throw error; }
        if (attempt >= RETRY_DELAYS.length) throw error;
        pieceSize = Math.max(SMALLEST_PIECE, Math.floor(pieceSize / 2 / MiB) * MiB);
        say(form.dataset.resuming);
        await sleep(RETRY_DELAYS[attempt]);
        attempt += 1;
        const stood = await whereIs(location).catch(() => undefined);
        if (stood === null) { localStorage.removeItem(key); throw new Refusal(form.dataset.networkError); }
        if (stood !== undefined) offset = stood;
      }
    }
    onProgress(file.size);
    localStorage.removeItem(key);
  };

  form.addEventListener("submit", async (event) => {
    const files = Array.from(form.querySelector("input[type=file]").files || []);
    if (files.length === 0) return; // the server says what is missing, as without JavaScript
    event.preventDefault();
    const fields = details();
    const total = files.reduce((sum, file) => sum + file.size, 0) || 1;
    let done = 0;
    const failures = [];
    button.disabled = true;
    bar.hidden = false;
    bar.value = 0;
    showErrors([]);
    for (const file of files) {
      say(form.dataset.sending.replace("{name}", file.name));
      try {
        await upload(file, fields, (sent) => { bar.value = Math.round(((done + sent) / total) * 100); });
      } catch (error) {
        failures.push(`${file.name}: ${error instanceof Refusal ? error.message : form.dataset.networkError}`);
      }
      done += file.size;
    }
    if (failures.length === 0) {
      // The list, with what happened to each file in its messages (as after a plain upload).
      window.location.assign(form.dataset.listUrl);
      return;
    }
    button.disabled = false;
    bar.hidden = true;
    say("");
    showErrors(failures);
  });
})();
