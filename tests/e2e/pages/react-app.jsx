// A signup form as a React app writes it: every input controlled (state +
// onChange), fiable attached in an effect and detached in its clean-up
// (StrictMode runs that twice). The state is rendered into #state, so a test
// sees what React holds, not only what the DOM shows.
import { StrictMode, useEffect, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { attach } from '/pkg/index.js';

// `?lookup=/` when the page is served by the lookup service itself (the street autocomplete).
const lookup = new URLSearchParams(location.search).get('lookup');
const CONFIG = {
  locale: 'fr',
  country: 'FR',
  ...(lookup ? { lookup } : {}),
  fields: {
    street: { selector: '[name=street]', type: 'street', postcode: 'postcode', city: 'city' },
    email: { selector: '[name=email]', type: 'email', required: true },
    phone: { selector: '[name=phone]', type: 'phone' },
    postcode: { selector: '[name=postcode]', type: 'postcode' },
    city: { selector: '[name=city]', type: 'city' },
  },
};

function Signup() {
  const [values, setValues] = useState({ email: '', phone: '', street: '', postcode: '', city: '' });
  const [clicks, setClicks] = useState(0);
  const [submitted, setSubmitted] = useState(null);
  const renders = useRef(0);
  const form = useRef(null);
  renders.current += 1;
  useEffect(() => {
    const handle = attach(form.current, CONFIG);
    window.handle = handle;
    return () => handle.detach();
  }, []);
  const input = (name, label, type = 'text') => (
    <label>
      {label}
      <input
        name={name}
        type={type}
        className="field"
        value={values[name]}
        onChange={(e) => setValues((v) => ({ ...v, [name]: e.target.value }))}
      />
    </label>
  );
  return (
    <form
      ref={form}
      id="f"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        setSubmitted(values);
      }}
    >
      {input('email', 'E-mail', 'email')}
      {input('phone', 'Téléphone', 'tel')}
      {input('street', 'Adresse')}
      {input('postcode', 'Code postal')}
      {input('city', 'Ville')}
      <button type="button" id="rerender" onClick={() => setClicks((n) => n + 1)}>
        Re-render ({clicks})
      </button>
      <button type="submit">OK</button>
      <output id="state">{JSON.stringify(values)}</output>
      <output id="renders">{renders.current}</output>
      {submitted && <output id="submitted">{JSON.stringify(submitted)}</output>}
    </form>
  );
}

createRoot(document.getElementById('root')).render(
  <StrictMode>
    <Signup />
  </StrictMode>,
);
