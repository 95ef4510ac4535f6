// A signup form as a Vue 3 app writes it: every input bound with v-model
// (here in the render-function form a compiled template produces, so no
// runtime compiler and no eval under the strict CSP), fiable attached when
// mounted and detached when unmounted. The state is rendered into #state, so
// a test sees what Vue holds, not only what the DOM shows.
import { createApp, h, reactive, ref, vModelText, withDirectives } from 'vue';
import { attach } from '/pkg/index.js';

const CONFIG = {
  locale: 'fr',
  country: 'FR',
  fields: {
    email: { selector: '[name=email]', type: 'email', required: true },
    phone: { selector: '[name=phone]', type: 'phone' },
    postcode: { selector: '[name=postcode]', type: 'postcode' },
    city: { selector: '[name=city]', type: 'city' },
    last_name: { selector: '[name=last_name]', type: 'last_name' },
  },
};

const Signup = {
  setup() {
    const values = reactive({ email: '', phone: '', postcode: '', city: '', last_name: '' });
    const submitted = ref(null);
    const form = ref(null);
    let handle = null;
    return { values, submitted, form, mount: () => { handle = attach(form.value, CONFIG); window.handle = handle; }, unmount: () => handle?.detach() };
  },
  mounted() { this.mount(); },
  unmounted() { this.unmount(); },
  render() {
    const input = (name, label, type = 'text') => h('label', [
      label,
      withDirectives(h('input', { name, type, class: 'field', 'onUpdate:modelValue': (v) => { this.values[name] = v; } }), [[vModelText, this.values[name]]]),
    ]);
    return h('form', {
      ref: 'form',
      id: 'f',
      novalidate: true,
      onSubmit: (e) => { e.preventDefault(); this.submitted = { ...this.values }; },
    }, [
      input('email', 'E-mail', 'email'),
      input('phone', 'Téléphone', 'tel'),
      input('postcode', 'Code postal'),
      input('city', 'Ville'),
      input('last_name', 'Nom'),
      h('button', { type: 'submit' }, 'OK'),
      h('output', { id: 'state' }, JSON.stringify(this.values)),
      this.submitted && h('output', { id: 'submitted' }, JSON.stringify(this.submitted)),
    ]);
  },
};

window.app = createApp(Signup);
window.app.mount('#root');
