/* Wallboard (/wallboard): the longest waits tick in the browser between refreshes.
   A metric [data-metric="longest-wait"] carries data-wait-s (seconds, as of the snapshot)
   and its thresholds; the refresh reports how old the snapshot was when served (age_s). */
window.callboardWallboard = {
  receivedAt: null,
  ageS: 0,
  asOf: "",
  received: function (data, texts) {
    this.receivedAt = Date.now();
    this.ageS = data.age_s || 0;
    this.asOf = data.as_of || "";
    const self = this;
    setTimeout(function () { self.tick(texts); }, 0);  // after the new tiles are drawn
  },
  tick: function (texts) {
    const elapsed = this.receivedAt ? this.ageS + (Date.now() - this.receivedAt) / 1000 : 0;
    document.querySelectorAll('[data-metric="longest-wait"]').forEach(function (el) {
      const base = el.getAttribute("data-wait-s");
      if (base === null || base === "") { return; }
      const s = Math.max(0, Math.round(parseFloat(base) + elapsed));
      const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
      const text = h ? (h + " h " + String(m).padStart(2, "0") + " min") : (m + ":" + String(sec).padStart(2, "0"));
      const value = el.querySelector(".wb-value");
      if (value && value.textContent !== text) { value.textContent = text; }
      const level = s >= parseFloat(el.getAttribute("data-red")) ? "red"
        : (s >= parseFloat(el.getAttribute("data-amber")) ? "amber" : "ok");
      ["ok", "amber", "red", "none"].forEach(function (l) { el.classList.toggle("wb-" + l, l === level); });
      const word = el.querySelector(".wb-level-word");
      if (word && texts) { word.textContent = texts[level] || ""; }
    });
  },
};
