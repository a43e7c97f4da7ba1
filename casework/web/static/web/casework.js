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
