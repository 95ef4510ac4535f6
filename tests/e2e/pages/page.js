// The test pages' "own" code: a submit handler (counts submits) and a record
// of CSP violations and fiable events, in data attributes the tests read.
document.addEventListener('securitypolicyviolation', (e) => {
  document.body.dataset.cspViolations = String(Number(document.body.dataset.cspViolations ?? 0) + 1);
  document.body.dataset.cspLast = `${e.violatedDirective} ${e.blockedURI}`;
});
const events = [];
window.fiableEvents = events;
for (const type of ['fiable:verdict', 'fiable:valid', 'fiable:invalid']) {
  document.addEventListener(type, (e) => events.push({ type, name: e.target.name, status: e.detail.status, code: e.detail.code }));
}
for (const form of document.forms) {
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    form.dataset.submitted = String(Number(form.dataset.submitted ?? 0) + 1);
  });
}
