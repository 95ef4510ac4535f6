// The consent test pages' own code: what the shop's submit handler receives
// (the form data, hidden receipt input included) and the fiable:consent events.
window.sent = [];
window.consentEvents = [];
document.addEventListener('fiable:consent', (e) => window.consentEvents.push({ on: e.target === document ? 'document' : e.target.id, ...e.detail }));
for (const form of document.forms) {
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    window.sent.push(Object.fromEntries(new FormData(form)));
    form.dataset.submitted = String(Number(form.dataset.submitted ?? 0) + 1);
  });
}
