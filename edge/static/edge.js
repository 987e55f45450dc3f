// The edge's pages: plain JavaScript, no library. The server renders every list; this
// script only sends scans, shows the verdict full screen (text set with textContent,
// never as HTML), runs the camera mode and refreshes the server-rendered fragments.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("page-data").textContent);
  const L = data.labels;
  const input = document.getElementById("qr-input");
  const overlay = document.getElementById("verdict");
  const langQuery = "lang=" + encodeURIComponent(data.lang);
  let direction = data.fixed_direction || localStorage.getItem("bp-direction:" + data.site) || data.default_direction;
  let hideTimer = null;
  let busy = false;

  // -- the always-focused field for keyboard-wedge scanners ---------------------------
  function keepFocus() {
    if (document.activeElement !== input && !document.querySelector(".login")) input.focus();
  }
  input.addEventListener("blur", () => setTimeout(keepFocus, 0));
  document.addEventListener("click", () => setTimeout(keepFocus, 0));
  setInterval(keepFocus, 1000);
  input.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    const text = input.value;
    input.value = "";
    if (text.trim()) submitScan(text);
  });

  // -- direction toggle ---------------------------------------------------------------
  const buttons = document.querySelectorAll("button.direction");
  function showDirection() {
    buttons.forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.direction === direction)));
  }
  buttons.forEach((b) =>
    b.addEventListener("click", () => {
      direction = b.dataset.direction;
      localStorage.setItem("bp-direction:" + data.site, direction);
      showDirection();
    })
  );
  showDirection();

  // -- scanning and the full-screen verdict ---------------------------------------------
  async function submitScan(text) {
    busy = true;
    try {
      const response = await fetch("/api/scan?" + langQuery, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ qr: text, direction: direction }),
        credentials: "same-origin",
      });
      const body = await response.json();
      if (!response.ok) throw new Error((body.error && body.error.reason) || response.status);
      showVerdict(body);
    } catch (error) {
      showFailure(String(error.message || error));
    } finally {
      busy = false;
      refresh();
    }
  }

  function setText(id, text) {
    document.getElementById(id).textContent = text || "—";
  }

  function showVerdict(v) {
    overlay.className = "verdict verdict-" + v.verdict;
    setText("verdict-word", v.verdict_text);
    setText("verdict-direction", v.direction_text);
    const list = document.getElementById("verdict-reasons");
    list.replaceChildren(...v.reason_text.map((t) => Object.assign(document.createElement("li"), { textContent: t })));
    const permit = v.permit;
    document.getElementById("verdict-permit").hidden = !permit;
    document.getElementById("verdict-unverified").hidden = !permit || v.verified;
    if (permit) {
      setText("verdict-name", permit.name + (permit.name_zh ? " · " + permit.name_zh : ""));
      setText("verdict-employer", permit.employer_name || permit.employer_id);
      setText("verdict-zones", permit.zone_names.join("、"));
      setText("verdict-end-date", permit.end_date);
      setText("verdict-permit-id", permit.permit_id);
    }
    setText("verdict-meta", "#" + v.seq + " · " + v.at_local);
    overlay.dataset.seq = v.seq;
    openOverlay(data.verdict_shown_ms[v.verdict]);
  }

  function showFailure(reason) {
    overlay.className = "verdict verdict-failed";
    setText("verdict-word", L.failed);
    setText("verdict-direction", reason);
    document.getElementById("verdict-reasons").replaceChildren();
    document.getElementById("verdict-permit").hidden = true;
    document.getElementById("verdict-unverified").hidden = true;
    setText("verdict-meta", "");
    openOverlay(0);
  }

  function openOverlay(ms) {
    clearTimeout(hideTimer);
    overlay.hidden = false;
    if (ms > 0) hideTimer = setTimeout(closeOverlay, ms);
  }

  function closeOverlay() {
    clearTimeout(hideTimer);
    overlay.hidden = true;
    keepFocus();
  }
  overlay.addEventListener("click", closeOverlay);

  // -- camera mode: frames to /api/decode, the first text found is scanned --------------
  const cameraButton = document.getElementById("camera-toggle");
  const video = document.getElementById("camera-video");
  const canvas = document.getElementById("camera-canvas");
  const cameraMessage = document.getElementById("camera-message");
  let stream = null;
  let frameTimer = null;
  let sending = false;

  async function startCamera() {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (error) {
      cameraMessage.textContent = L.camera_error + ": " + error.name;
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    cameraButton.textContent = cameraButton.dataset.off;
    cameraMessage.textContent = "";
    frameTimer = setInterval(sendFrame, data.camera_interval_ms);
  }

  function stopCamera() {
    clearInterval(frameTimer);
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
    video.hidden = true;
    cameraButton.textContent = cameraButton.dataset.on;
  }

  // The same card still in front of the camera is not scanned again at once.
  let lastText = null;
  let lastAt = 0;
  function seenJustNow(text) {
    const now = Date.now();
    const repeat = text === lastText && now - lastAt < data.camera_repeat_ms;
    lastText = text;
    lastAt = now;
    return repeat;
  }

  function sendFrame() {
    if (sending || busy || !overlay.hidden || !video.videoWidth) return;
    sending = true;
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    canvas.toBlob(async (blob) => {
      try {
        const response = await fetch("/api/decode", {
          method: "POST",
          headers: { "Content-Type": "image/jpeg" },
          body: blob,
          credentials: "same-origin",
        });
        const body = await response.json();
        if (response.ok && body.qr && !seenJustNow(body.qr)) await submitScan(body.qr);
      } catch (error) {
        cameraMessage.textContent = String(error.message || error);
      } finally {
        sending = false;
      }
    }, "image/jpeg", 0.85);
  }

  cameraButton.addEventListener("click", () => (stream ? stopCamera() : startCamera()));

  // -- server-rendered fragments, refreshed ----------------------------------------------
  async function fetchText(path) {
    const response = await fetch(path + (path.includes("?") ? "&" : "?") + langQuery, { credentials: "same-origin" });
    if (!response.ok) throw new Error(String(response.status));
    return response.text();
  }

  async function refresh() {
    try {
      document.getElementById("status-bar").innerHTML = await fetchText("/fragments/status");
      if (data.page === "scan") {
        document.getElementById("last-scans").innerHTML = await fetchText("/fragments/scans");
      } else {
        const lists = JSON.parse(await fetchText("/fragments/onsite"));
        document.getElementById("on-site").innerHTML = lists.on_site;
        document.getElementById("missing").innerHTML = lists.missing;
        document.getElementById("on-site-count").textContent = lists.on_site_count;
        document.getElementById("missing-count").textContent = lists.missing_count;
      }
    } catch (error) {
      // the next refresh tries again; the verdict path does not depend on this
    }
  }
  setInterval(refresh, 5000);
  keepFocus();
})();
