'use client';
import 'fiable/fiable.css';
import { useEffect, useRef } from 'react';
import { start, FORM } from './app.js';

export default function Signup() {
  const form = useRef(null);
  const state = useRef(null);
  useEffect(() => {
    form.current.innerHTML = FORM;
    start(form.current, state.current);
  }, []);
  return (
    <>
      <form id="f" noValidate ref={form} />
      <pre id="state" ref={state}>{'{}'}</pre>
    </>
  );
}
