// Sign in or create an account. Checks the protocol's limits before sending,
// so most mistakes are explained without a round trip.

import { useState } from 'preact/hooks';
import { errorNotice, notice, noticeText, t } from '../i18n.js';
import { checkDisplayName, checkPassword } from '../limits.js';
import { trimSpace } from '../text.js';

const USERNAME = /^[a-z0-9._-]{3,32}$/;
const ROLES = ['umkm', 'koperasi', 'student'];

// Errors are kept as notices (a key and its parameters) and translated when
// shown, so a message on screen follows a change of language.

function checkRegister({ username, name, password }) {
    if (!USERNAME.test(username)) {
        return notice('auth.invalid_username');
    }
    const invalidName = checkDisplayName(name);
    if (invalidName) {
        return invalidName;
    }
    return checkPassword(password);
}

// Errors of the sign-in flow read better with their own wording.
function authError(err, mode) {
    const code = err && err.code;
    if (code === 'unauthenticated' && mode === 'login') {
        return notice('auth.wrong_password');
    }
    if (code === 'conflict' && mode === 'register') {
        return notice('auth.username_taken');
    }
    // After repeated failures the wait can be minutes: say how long.
    if (code === 'rate_limited' && err.retryMs > 0) {
        const seconds = Math.ceil(err.retryMs / 1000);
        return seconds < 120
            ? notice('auth.wait_seconds', { seconds })
            : notice('auth.wait_minutes', { minutes: Math.ceil(seconds / 60) });
    }
    return errorNotice(code);
}

function Field({ label, hint, id, children }) {
    return (
        <div class="field">
            <label class="field__label" for={id}>
                {label}
            </label>
            {children}
            {hint && <p class="field__hint">{hint}</p>}
        </div>
    );
}

export function AuthView({ session }) {
    const [mode, setMode] = useState('login');
    const [form, setForm] = useState({ username: '', name: '', password: '', role: 'umkm' });
    const [error, setError] = useState(() =>
        session.sessionEnded ? notice('auth.session_ended') : null,
    );
    const [busy, setBusy] = useState(false);

    const set = (key) => (ev) => setForm({ ...form, [key]: ev.currentTarget.value });

    async function submit(ev) {
        ev.preventDefault();
        const data = { ...form, username: form.username.trim().toLowerCase(), name: trimSpace(form.name) };
        const invalid = mode === 'register' ? checkRegister(data) : null;
        if (invalid) {
            setError(invalid);
            return;
        }
        setBusy(true);
        setError(null);
        try {
            if (mode === 'register') {
                await session.register(data);
            } else {
                await session.login(data.username, data.password);
            }
        } catch (err) {
            setError(authError(err, mode));
            setBusy(false);
        }
    }

    function switchMode(next) {
        setMode(next);
        setError(null);
    }

    const isRegister = mode === 'register';
    return (
        <section class="auth" data-testid="auth-view">
            <div class="auth__card">
                <h1 class="auth__title">{isRegister ? t('auth.register.title') : t('auth.login.title')}</h1>
                <p class="auth__intro">{t('auth.intro')}</p>
                <form
                    class="auth__form"
                    data-testid={isRegister ? 'register-form' : 'login-form'}
                    onSubmit={submit}
                    noValidate
                >
                    <Field
                        label={t('auth.username')}
                        hint={isRegister ? t('auth.username.hint') : null}
                        id="auth-username"
                    >
                        <input
                            id="auth-username"
                            class="input"
                            name="username"
                            autocomplete="username"
                            autocapitalize="none"
                            spellcheck={false}
                            value={form.username}
                            onInput={set('username')}
                            data-testid="auth-username"
                        />
                    </Field>
                    {isRegister && (
                        <Field label={t('auth.name')} id="auth-name">
                            <input
                                id="auth-name"
                                class="input"
                                name="name"
                                autocomplete="name"
                                value={form.name}
                                onInput={set('name')}
                                data-testid="auth-name"
                            />
                        </Field>
                    )}
                    <Field
                        label={t('auth.password')}
                        hint={isRegister ? t('auth.password.hint') : null}
                        id="auth-password"
                    >
                        <input
                            id="auth-password"
                            class="input"
                            type="password"
                            name="password"
                            autocomplete={isRegister ? 'new-password' : 'current-password'}
                            value={form.password}
                            onInput={set('password')}
                            data-testid="auth-password"
                        />
                    </Field>
                    {isRegister && (
                        <fieldset class="field roles">
                            <legend class="field__label">{t('auth.role')}</legend>
                            {ROLES.map((role) => (
                                <label class="roles__option" key={role}>
                                    <input
                                        type="radio"
                                        name="role"
                                        value={role}
                                        checked={form.role === role}
                                        onChange={set('role')}
                                        data-testid={`auth-role-${role}`}
                                    />
                                    <span>{t(`role.${role}`)}</span>
                                </label>
                            ))}
                        </fieldset>
                    )}
                    {error && (
                        <p class="form-error" role="alert" data-testid="auth-error">
                            {noticeText(error)}
                        </p>
                    )}
                    <button class="btn btn--primary btn--block" type="submit" disabled={busy} data-testid="auth-submit">
                        {busy ? t('auth.busy') : isRegister ? t('auth.register.submit') : t('auth.login.submit')}
                    </button>
                </form>
                <button
                    type="button"
                    class="btn btn--link"
                    data-testid="auth-switch"
                    onClick={() => switchMode(isRegister ? 'login' : 'register')}
                >
                    {isRegister ? t('auth.to_login') : t('auth.to_register')}
                </button>
            </div>
        </section>
    );
}
