// The agent's workspace from the keyboard (/agent, issue 22 item 5), and the approved-phrases
// panel following the case in hand. Served by the console (CSP script-src 'self').
//   D          dial next: the first dialable number of the current case
//   N / J      next case          P / K   previous case          O   open the current case
//   Ctrl+Enter save the note (in any field of the note form, the textarea included)
// Single keys never act while focus is in a field, nor with Ctrl, Alt or Meta held, so
// typing a note (or using the browser's own shortcuts) is never taken over.
(() => {
  const typing = (el) =>
    !!el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));
  const cases = () => Array.from(document.querySelectorAll("table.worklist tbody.case"));
  const current = () => document.querySelector("table.worklist tbody.case.current");

  // The panel opens what the current case calls for; the reasons come from the case's row.
  function showPhrasesFor(row) {
    const panel = document.getElementById("phrases");
    if (!panel) return;
    const hints = new Map();
    row.querySelectorAll("tr.wording-hint .hint").forEach((hint) => {
      hints.set(hint.dataset.situation, Array.from(hint.querySelectorAll(".reason"), (r) => r.textContent));
    });
    panel.querySelectorAll("details.situation").forEach((details) => {
      const reasons = hints.get(details.dataset.situation);
      details.open = !!reasons;
      details.classList.toggle("called", !!reasons);
      const why = details.querySelector("ul.why");
      why.replaceChildren(...(reasons || []).map((text) => {
        const li = document.createElement("li");
        li.textContent = text;
        return li;
      }));
    });
    const said = document.getElementById("phrases-for");
    if (said) {
      // The words are the page's (its language), with {account} for the case.
      const words = hints.size ? said.dataset.opened : said.dataset.nothing;
      said.textContent = (words || "").replace("{account}", row.dataset.account);
    }
  }

  // "Dial next" dials the current case's first dialable number.
  function aimDialNext(row) {
    const form = document.getElementById("dial-next");
    if (!form) return;
    const button = row.querySelector("tr.number.dialable button[type=submit]");
    const submit = form.querySelector("button[type=submit]");
    const what = document.getElementById("dial-next-what");
    if (!button) {
      submit.disabled = true;
      if (what) what.textContent = (what.dataset.none || "").replace("{account}", row.dataset.account);
      return;
    }
    const source = button.form;
    form.elements.phone_number_id.value = source.elements.phone_number_id.value;
    form.elements.case_id.value = source.elements.case_id.value;
    submit.disabled = button.disabled;
    if (what) what.textContent = `${row.dataset.account} · ${button.dataset.who}`;
  }

  function select(row) {
    const before = current();
    if (before) {
      before.classList.remove("current");
      before.removeAttribute("aria-current");
    }
    row.classList.add("current");
    row.setAttribute("aria-current", "true");
    row.scrollIntoView({ block: "nearest" });
    aimDialNext(row);
    showPhrasesFor(row);
  }

  function step(by) {
    const all = cases();
    if (!all.length) return;
    const at = all.indexOf(current());
    const next = at < 0 ? 0 : Math.min(all.length - 1, Math.max(0, at + by));
    select(all[next]);
  }

  function dialNext() {
    const form = document.getElementById("dial-next");
    const submit = form && form.querySelector("button[type=submit]");
    if (submit && !submit.disabled) form.requestSubmit(submit);
  }

  function openCase() {
    const row = current();
    const link = row && row.querySelector("tr.case-row a");
    if (link) window.location.assign(link.href);
  }

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.isComposing) return;
    const note = document.getElementById("note-form");
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && note) {
      event.preventDefault();
      note.requestSubmit();
      return;
    }
    if (event.ctrlKey || event.altKey || event.metaKey || typing(event.target)) return;
    const act = { d: dialNext, n: () => step(1), j: () => step(1), p: () => step(-1), k: () => step(-1), o: openCase }[event.key.toLowerCase()];
    if (act) {
      event.preventDefault();
      act();
    }
  });

  // A promise to pay needs an amount and a date (the server refuses it without): the fields
  // a promise lacks are marked as the outcome or the fields change, before save is pressed.
  const noteForm = document.getElementById("note-form");
  function markPromise() {
    const promise = noteForm.elements.outcome.value === "promise_to_pay";
    for (const name of ["promised_amount", "promised_date"]) {
      const field = noteForm.elements[name];
      const said = document.getElementById("missing-" + name);
      const lacking = promise && !field.value.trim();
      field.required = promise;
      if (lacking) field.setAttribute("aria-invalid", "true");
      else field.removeAttribute("aria-invalid");
      if (said) said.hidden = !lacking;
    }
  }
  if (noteForm) {
    noteForm.addEventListener("change", markPromise);
    noteForm.addEventListener("input", markPromise);
  }

  // An answered call's form opens while the call is still talking, before its transcript:
  // the page reloads until the draft is there, unless the agent has started the note by hand.
  const awaiting = document.querySelector("section.note[data-awaiting-draft]");
  if (awaiting && noteForm) {
    let edited = false;
    noteForm.addEventListener("input", () => { edited = true; });
    noteForm.addEventListener("change", () => { edited = true; });
    window.setInterval(() => { if (!edited) window.location.reload(); }, 3000);
  }

  const nextCase = document.getElementById("next-case");
  if (nextCase && cases().length > 1) {
    nextCase.hidden = false;
    nextCase.addEventListener("click", () => step(1));
  }
})();
