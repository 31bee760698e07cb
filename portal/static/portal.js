// The portal's behaviour in the browser, where Streamlit leaves it to the page. Our own code,
// never content: app.py loads this file once per page load (frame.behaviour()).
//
// - In-app links (chips, names, Markdown links to a portal page) open in this tab, in this
//   session, like the sidebar's; a middle-click or Ctrl-click still opens a new tab.
// - A new view starts at its top; going back returns to where the list was scrolled.
// - Seeking in a recording or searching its transcript replaces the history entry instead of
//   adding one (Back leaves the session, it does not replay every seek).
// - "/" or Ctrl-K (Cmd-K) focuses the page's search box, or opens Search.
// - Icons inside text are decoration: screen readers hear a word ("team"), not the icon's name,
//   and copying a card copies its words without icon names.
(() => {
  // The tag has done its work once it runs: the page keeps no script element of ours.
  document.currentScript?.remove();
  if (window.__hindsight) return;
  window.__hindsight = true;

  const TRANSIENT = new Set(["t", "tq"]); // moving through one recording, not a new place
  const VIEW = ["doc", "expert", "like"]; // parameters that open another document or person
  const NOT_PAGES = /^\/(_stcore|media|static|component|app)(\/|$)/;
  const ICON_WORDS = {
    group: "team",
    dns: "service",
    bookmark: "followed",
    repeat: "recurring",
    check_circle: "",
    cancel: "",
    contrast: "",
  };
  const history = window.history;
  const push = history.pushState.bind(history);
  const replace = history.replaceState.bind(history);
  const app = () => document.querySelector("[data-testid='stApp']");
  const main = () => document.querySelector("[data-testid='stMain']");
  const idle = () => app()?.getAttribute("data-test-script-state") === "notRunning";
  const here = () => location.pathname + location.search;

  // -- where each view was scrolled ------------------------------------------------------
  const SCROLLS = "hindsight.scroll";
  const scrolls = (() => {
    try {
      return JSON.parse(sessionStorage.getItem(SCROLLS) || "{}");
    } catch {
      return {};
    }
  })();
  const remember = () => {
    const box = main();
    if (!box || !idle()) return; // mid-run the page is being redrawn: its height is not the user's
    scrolls[here()] = box.scrollTop;
    try {
      sessionStorage.setItem(SCROLLS, JSON.stringify(scrolls));
    } catch {}
  };
  let pending = null; // the scroll position the next finished run should show
  const settle = () => {
    if (pending === null || !idle()) return;
    const box = main();
    if (!box) return;
    const want = pending;
    let tries = 0;
    const step = () => {
      // The page may still be growing (charts, tables): try until it is tall enough.
      box.scrollTop = want;
      if (Math.abs(box.scrollTop - want) > 2 && tries++ < 30) setTimeout(step, 100);
    };
    pending = null;
    step();
  };
  const viewOf = (url) => {
    const u = new URL(url, location.href);
    return [u.pathname, ...VIEW.map((k) => u.searchParams.get(k) || "")].join("|");
  };
  // A new view opens at its top; one seen before in this tab (Back, "All sessions") where it
  // was left. A filter or a seek within a view leaves the scroll alone.
  const arrived = (before, after) => {
    const target = new URL(after, location.href);
    const saved = scrolls[target.pathname + target.search];
    if (viewOf(before) === viewOf(after)) return;
    pending = saved === undefined ? 0 : saved;
    setTimeout(settle, 50);
  };

  // -- history: transient parameters replace, everything else is a place ------------------
  const transientOnly = (a, b) => {
    const x = new URL(a, location.href);
    const y = new URL(b, location.href);
    if (x.pathname !== y.pathname) return false;
    const keys = new Set([...x.searchParams.keys(), ...y.searchParams.keys()]);
    let changed = false;
    for (const k of keys) {
      const same = x.searchParams.getAll(k).join("\u0000") === y.searchParams.getAll(k).join("\u0000");
      if (same) continue;
      if (!TRANSIENT.has(k)) return false;
      changed = true;
    }
    return changed;
  };
  history.pushState = (state, title, url) => {
    const before = location.href;
    if (url !== undefined && url !== null && transientOnly(before, url)) {
      replace(state, title, url);
      return;
    }
    remember();
    push(state, title, url);
    arrived(before, location.href);
  };
  let last = location.href; // the address of the view on screen (popstate has moved on already)
  let ours = false; // a popstate this script sent to make Streamlit follow a link
  window.addEventListener("popstate", () => {
    if (!ours) arrived(last, location.href);
    last = location.href;
  });
  const go = (path) => {
    const before = location.href;
    remember();
    push({}, "", path);
    ours = true;
    window.dispatchEvent(new PopStateEvent("popstate", { state: {} })); // Streamlit reruns for it
    ours = false;
    arrived(before, location.href);
  };

  // -- in-app links stay in this tab and this session -------------------------------------
  const inApp = (a) => {
    if (!a.href || a.hasAttribute("download")) return null;
    let url;
    try {
      url = new URL(a.getAttribute("href"), location.href);
    } catch {
      return null;
    }
    if (url.origin !== location.origin || NOT_PAGES.test(url.pathname)) return null;
    return url.pathname.split("/").filter(Boolean).length <= 1 ? url : null;
  };
  document.addEventListener("click", (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) {
      return;
    }
    const a = e.target instanceof Element ? e.target.closest("a[href]") : null;
    const url = a && inApp(a);
    if (!url) return;
    e.preventDefault();
    go(url.pathname + url.search + url.hash);
  });

  // -- "/" and Ctrl-K ----------------------------------------------------------------------
  const editable = (el) =>
    el instanceof HTMLElement && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  document.addEventListener("keydown", (e) => {
    const slash = e.key === "/" && !e.ctrlKey && !e.metaKey && !e.altKey && !editable(e.target);
    const k = (e.ctrlKey || e.metaKey) && !e.altKey && (e.key === "k" || e.key === "K");
    if (!slash && !k) return;
    e.preventDefault();
    const box = document.querySelector(
      ".st-key-searchbox input[type='text'], .st-key-searchbox textarea",
    );
    if (box) {
      box.focus();
      box.select?.();
      return;
    }
    go(new URL("search", location.href).pathname);
  });

  // -- icons are decoration ---------------------------------------------------------------
  const ICON = "span[role='img'][translate='no'], [data-testid='stIconMaterial']";
  const quiet = (root) => {
    for (const icon of root.querySelectorAll(ICON)) {
      if (icon.dataset.hsQuiet) continue;
      icon.dataset.hsQuiet = "1";
      const word = ICON_WORDS[(icon.textContent || "").trim()];
      if (word) {
        icon.setAttribute("role", "img");
        icon.setAttribute("aria-label", word);
      } else {
        icon.removeAttribute("role");
        icon.removeAttribute("aria-label");
        icon.setAttribute("aria-hidden", "true");
      }
    }
  };
  document.addEventListener("copy", (e) => {
    const selection = window.getSelection();
    if (!selection || selection.isCollapsed || !e.clipboardData) return;
    const fragment = selection.getRangeAt(0).cloneContents();
    const icons = fragment.querySelectorAll(ICON);
    if (!icons.length) return;
    icons.forEach((icon) => icon.remove());
    const sheet = document.createElement("div");
    sheet.style.cssText = "position:fixed;left:-10000px;top:0;white-space:pre-wrap";
    sheet.appendChild(fragment);
    document.body.appendChild(sheet);
    const text = sheet.innerText.replace(/[ \t]+\n/g, "\n").trim();
    sheet.remove();
    e.clipboardData.setData("text/plain", text);
    e.preventDefault();
  });

  // After the page changes: icons of the new elements, a pending scroll, the view on screen.
  let queued = false;
  const tick = () => {
    queued = false;
    quiet(document);
    settle();
    if (idle()) last = location.href;
  };
  new MutationObserver(() => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(tick);
  }).observe(document.body, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ["data-test-script-state"],
  });
  document.addEventListener("scroll", remember, { passive: true, capture: true });
  tick();
})();
