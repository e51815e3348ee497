// Dates of the comment period in the reader's own time zone. The server writes them in UTC
// (so they read right without JavaScript); this rewrites the text of each
// <time data-local-time datetime="…"> in the page's language and the browser's zone.
(() => {
  "use strict";
  const format = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
    year: "numeric",
    month: "long",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZoneName: "short",
  });
  const localize = (root) => {
    for (const time of root.querySelectorAll("time[data-local-time]")) {
      const moment = new Date(time.getAttribute("datetime"));
      if (!Number.isNaN(moment.getTime())) time.textContent = format.format(moment);
    }
  };
  document.addEventListener("htmx:afterSettle", (event) => localize(event.target));
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => localize(document));
  } else {
    localize(document);
  }
})();
