// The page's own code, as a shop would have it: fiable is attached by the
// script tag in <head>; this only shows what the page receives (the
// fiable:verdict events, and its own submit handler when fiable lets it run).
const out = document.getElementById('out');

document.addEventListener('fiable:verdict', (e) => {
  const v = e.detail;
  out.textContent = `fiable:verdict ${e.target.name} → ${v.status} (${v.code})\n${JSON.stringify(v, null, 2)}`;
});

for (const form of document.forms) {
  form.addEventListener('submit', (e) => {
    e.preventDefault(); // a demo: nowhere to send the data
    const data = Object.fromEntries(new FormData(form));
    out.textContent = `submit #${form.id}\n${JSON.stringify(data, null, 2)}`;
    form.dataset.submitted = String(Number(form.dataset.submitted ?? 0) + 1);
  });
}

// The consent receipt: fiable records the consent boxes when the form is
// sent and says what became of the record (fiable:consent).
const receipt = document.getElementById('consent-receipt');
document.getElementById('signup').addEventListener('fiable:consent', (e) => {
  const { status, id } = e.detail;
  receipt.hidden = false;
  receipt.dataset.status = status;
  receipt.textContent = status === 'delivered' ? `Vos choix sont enregistrés. Reçu n° ${id}`
    : status === 'queued' ? `Vos choix seront transmis dès que le service répondra (enregistrement n° ${id}).`
    : 'Vos choix n\u2019ont pas pu être enregistrés.';
});
