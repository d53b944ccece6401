/* Progressive enhancement only: the pages work without JavaScript. */
document.documentElement.classList.remove("no-js");
if (window.DKFDS && typeof window.DKFDS.init === "function") { window.DKFDS.init(); }
