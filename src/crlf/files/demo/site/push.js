// Server push, the two ways the seed names: polling with fetch, and a WebSocket feed.
"use strict";
(function () {
  const poll = document.getElementById("poll");
  const lines = [];
  function show(target, store, text) {
    store.unshift(text);
    store.length = Math.min(store.length, 8);
    target.textContent = store.join("\n");
  }
  async function tick() {
    try {
      const response = await fetch("/api/poll", { cache: "no-store" });
      const data = await response.json();
      show(poll, lines, "#" + data.seq + "  " + data.date);
    } catch (err) {
      show(poll, lines, "poll failed: " + err);
    }
  }
  tick();
  setInterval(tick, 2000);

  const out = document.getElementById("ws");
  const wsLines = [];
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  let socket;
  try {
    socket = new WebSocket(scheme + location.host + "/ws/feed");
    socket.onopen = () => show(out, wsLines, "open");
    socket.onmessage = (event) => show(out, wsLines, String(event.data));
    socket.onclose = (event) => show(out, wsLines, "closed (" + event.code + ")");
    socket.onerror = () => show(out, wsLines, "WebSocket unavailable on this server");
  } catch (err) {
    show(out, wsLines, "WebSocket unavailable: " + err);
  }
  document.getElementById("say").addEventListener("submit", (event) => {
    event.preventDefault();
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(document.getElementById("text").value);
    }
  });
})();
