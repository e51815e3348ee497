// Quoted spans, as progressive enhancement of the comment form's "Quoted passage" field.
//
// Select words in a paragraph and a button offers to comment on them: it opens the
// paragraph's comment form (in the margin, through htmx) with the words in that field.
// The quotes of the threads shown are highlighted in their paragraph with the CSS Custom
// Highlight API: ranges over the text already there, so no markup is ever added to the
// paragraph (its HTML is rendered Markdown) and a quote can only ever be text.
(() => {
  "use strict";
  const HIGHLIGHT = "rt-quote";
  const pending = new Map(); // paragraph key -> words, until its comment form appears
  let button = null;

  const normalize = (text) => text.replace(/\s+/g, " ").trim();

  // The paragraph's text element: the draft page's `.block-text`, the paragraph page's
  // quoted paragraph.
  const textOf = (key) => {
    const block = document.getElementById(`p-${key}`);
    if (!block) return null;
    return block.classList.contains("quoted-paragraph") ? block : block.querySelector(".block-text");
  };

  const keyOf = (element) => {
    const block = element.closest("[id^='p-']");
    return block ? block.id.slice(2) : null;
  };

  // The element's text with whitespace runs as one space (as quotes are kept), and for each
  // of its characters the text node and offset it stands for.
  const textMap = (root) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const chars = [];
    const where = [];
    let space = true;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (let i = 0; i < node.data.length; i += 1) {
        const blank = /\s/.test(node.data[i]);
        if (blank && space) continue;
        space = blank;
        chars.push(blank ? " " : node.data[i]);
        where.push([node, i]);
      }
    }
    return { text: chars.join(""), where };
  };

  const rangeOf = (root, words) => {
    if (!words) return null;
    const map = textMap(root);
    const at = map.text.indexOf(words);
    if (at < 0) return null;
    const [startNode, startOffset] = map.where[at];
    const [endNode, endOffset] = map.where[at + words.length - 1];
    const range = document.createRange();
    range.setStart(startNode, startOffset);
    range.setEnd(endNode, endOffset + 1);
    return range;
  };

  const highlight = () => {
    if (!(window.CSS && CSS.highlights && window.Highlight)) return;
    const ranges = [];
    for (const quote of document.querySelectorAll("[data-quote][data-quote-key]")) {
      const root = textOf(quote.dataset.quoteKey);
      const range = root && rangeOf(root, normalize(quote.dataset.quote));
      if (range) ranges.push(range);
    }
    CSS.highlights.set(HIGHLIGHT, new Highlight(...ranges));
  };

  // The words selected, if they are all in one paragraph's text.
  const selected = () => {
    const selection = window.getSelection();
    if (!selection || selection.isCollapsed || !selection.rangeCount) return null;
    const range = selection.getRangeAt(0);
    const inText = (node) => {
      const element = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
      return element && element.closest(".block-text, .quoted-paragraph");
    };
    const root = inText(range.startContainer);
    if (!root || root !== inText(range.endContainer)) return null;
    const words = normalize(selection.toString());
    const key = keyOf(root);
    return words && key ? { key, words, root } : null;
  };

  const fill = (key, words) => {
    const field = document.getElementById(`quote-${key}`);
    if (!field) return false;
    field.value = words;
    const body = document.getElementById(`body-${key}`);
    (body || field).focus();
    return true;
  };

  const comment = (key, words) => {
    if (fill(key, words)) return;
    const count = document.querySelector(`#p-${key} .margin-count`);
    if (!count) return;
    pending.set(key, words);
    count.click(); // htmx loads the margin's threads and form; see `htmx:afterSettle`
  };

  const offer = () => {
    const choice = selected();
    if (button) button.hidden = !choice;
    if (!choice) return;
    const label = document.querySelector("[data-quote-label]");
    if (!label) return;
    if (!button) {
      button = document.createElement("button");
      button.type = "button";
      button.className = "quote-button";
      // Pressing the button must not lose the selection it is about.
      button.addEventListener("mousedown", (event) => event.preventDefault());
      button.addEventListener("click", () => {
        button.hidden = true;
        const { key, words } = button.dataset;
        window.getSelection().removeAllRanges();
        comment(key, words);
      });
    }
    button.textContent = label.dataset.quoteLabel;
    button.dataset.key = choice.key;
    button.dataset.words = choice.words;
    const block = document.getElementById(`p-${choice.key}`);
    const margin = block.querySelector(".margin");
    if (margin) margin.prepend(button);
    else block.after(button);
    button.hidden = false;
  };

  document.addEventListener("mouseup", () => setTimeout(offer, 0));
  document.addEventListener("keyup", (event) => {
    if (event.shiftKey || event.key.startsWith("Arrow")) offer();
  });
  document.addEventListener("htmx:afterSettle", (event) => {
    for (const [key, words] of pending) {
      if (fill(key, words)) pending.delete(key);
    }
    if (event.target) highlight();
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", highlight);
  } else {
    highlight();
  }
})();
