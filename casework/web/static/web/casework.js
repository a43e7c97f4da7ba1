// Poll a media item's processing state until the worker is done, then reload to show the results.
(function () {
  const badge = document.getElementById("processing-state");
  if (!badge) return;
  const waiting = ["pending", "processing"];
  if (!waiting.includes(badge.dataset.state)) return;
  const poll = async () => {
    try {
      const response = await fetch(badge.dataset.url, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const body = await response.json();
        badge.textContent = body.label;
        if (!waiting.includes(body.state)) { window.location.reload(); return; }
      }
    } catch (error) { /* offline for a moment: try again */ }
    setTimeout(poll, 2000);
  };
  setTimeout(poll, 1500);
})();

// Upload with a progress bar: send the form by XHR so progress can be shown, then show the resulting page.
(function () {
  const form = document.getElementById("media-upload-form");
  const bar = document.getElementById("upload-progress");
  if (!form || !bar || !window.FormData) return;
  // resumable.js sends the files in pieces where the browser can; this plain XHR upload is the fallback.
  if (form.dataset.resumableUrl && window.fetch && window.Blob && Blob.prototype.slice && window.TextEncoder) return;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const request = new XMLHttpRequest();
    request.open("POST", form.action || window.location.href);
    bar.hidden = false;
    bar.value = 0;
    form.querySelector("button[type=submit]").disabled = true;
    request.upload.addEventListener("progress", (progress) => {
      if (progress.lengthComputable) bar.value = Math.round((progress.loaded / progress.total) * 100);
    });
    request.addEventListener("load", () => {
      // The server's page (the list with its messages, or the form with its errors) replaces this one.
      bar.value = 100;
      document.open();
      document.write(request.responseText);
      document.close();
      if (request.responseURL) history.replaceState(null, "", request.responseURL);
    });
    request.addEventListener("error", () => {
      form.querySelector("button[type=submit]").disabled = false;
      bar.hidden = true;
      alert(form.dataset.networkError || "The upload failed; check the connection and try again.");
    });
    request.send(new FormData(form));
  });
})();

// Bulk actions on a list: "select all" ticks every box of the page; the heading counts the ticked ones.
(function () {
  const form = document.getElementById("bulk-form");
  if (!form) return;
  const boxes = () => Array.from(document.querySelectorAll('input[name="items"][form="bulk-form"]'));
  const count = document.getElementById("bulk-count");
  const update = () => { count.textContent = String(boxes().filter((box) => box.checked).length); };
  document.querySelectorAll('input[data-select-all="bulk-form"]').forEach((all) => {
    all.addEventListener("change", () => { boxes().forEach((box) => { box.checked = all.checked; }); update(); });
  });
  boxes().forEach((box) => box.addEventListener("change", update));
  update();
})();
