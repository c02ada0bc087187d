// The live call on screen: the banner of an incoming call, the call itself
// (the other person's video large, one's own small, the state, and the
// buttons to mute, turn the camera off and hang up), and the bar of a
// room's call that this tab takes no part in.

import { useEffect, useRef } from 'preact/hooks';
import { noticeText, t } from '../i18n.js';
import { useAction } from './hooks.js';
import { mentoringTitleParts, roomName } from './names.js';

function Video({ stream, muted, testid, mirrored }) {
    const ref = useRef(null);
    useEffect(() => {
        const el = ref.current;
        if (el && el.srcObject !== stream) {
            el.srcObject = stream || null;
            if (stream) {
                el.play().catch(() => {});
            }
        }
    }, [stream]);
    return (
        <video
            ref={ref}
            class={`call__video${mirrored ? ' call__video--mirror' : ''}`}
            autoplay
            playsinline
            muted={muted}
            data-testid={testid}
        />
    );
}

export function IncomingCall({ store, calls }) {
    const call = calls.incoming;
    if (!call) {
        return null;
    }
    const room = store.rooms.get(call.room);
    const caller = store.userName(call.started_by) || t('chat.unknown_user', { id: call.started_by });
    // The caller is the other party: under their name, the topic says
    // which mentorship it is.
    const req = store.mentoring.requestForRoom(call.room);
    const about = req && req.business ? mentoringTitleParts(store, req).main : room && roomName(store, room);
    return (
        <div class="incoming" role="alertdialog" aria-labelledby="incoming-title" data-testid="incoming-call" data-call-id={call.id}>
            <div class="incoming__text">
                <strong id="incoming-title">{t('call.incoming', { name: caller })}</strong>
                {about && <span data-testid="incoming-room">{about}</span>}
            </div>
            <div class="incoming__buttons">
                <button type="button" class="btn btn--primary" data-testid="call-accept" onClick={() => calls.accept()}>
                    {t('call.accept')}
                </button>
                <button type="button" class="btn btn--danger" data-testid="call-decline" onClick={() => calls.decline()}>
                    {t('call.decline')}
                </button>
            </div>
        </div>
    );
}

function endText(reason) {
    const known = ['hangup', 'declined', 'missed', 'transfer', 'closed', 'disconnected', 'failed', 'conflict', 'rate_limited'];
    return t(`call.end_${known.includes(reason) ? reason : 'other'}`);
}

export function CallPanel({ store, calls }) {
    const c = calls.current;
    if (!c) {
        return null;
    }
    const room = store.rooms.get(c.roomId);
    const ended = c.phase === 'ended';
    const hasVideo = c.localStream && c.localStream.getVideoTracks().length > 0;
    return (
        <section class={`call call--${c.phase}`} aria-label={t('call.title')} data-testid="call-panel">
            <div class="call__stage">
                <Video stream={c.remoteStream} muted={false} testid="call-remote-video" />
                <Video stream={c.localStream} muted testid="call-local-video" mirrored />
            </div>
            <div class="call__bar">
                <div class="call__info">
                    <strong class="call__room">{room ? roomName(store, room) : t('call.title')}</strong>
                    <span class="call__state" role="status" data-testid="call-state" data-state={c.phase}>
                        {ended ? endText(c.endReason) : t(`call.state_${c.phase}`)}
                    </span>
                    {c.mediaError && <span class="call__warn">{t('call.no_media')}</span>}
                </div>
                <div class="call__buttons">
                    {!ended && (
                        <>
                            <button
                                type="button"
                                class="btn btn--ghost btn--small"
                                aria-pressed={c.muted ? 'true' : 'false'}
                                disabled={!c.localStream}
                                data-testid="call-mute"
                                onClick={() => calls.toggleMute()}
                            >
                                {c.muted ? t('call.unmute') : t('call.mute')}
                            </button>
                            <button
                                type="button"
                                class="btn btn--ghost btn--small"
                                aria-pressed={c.cameraOff ? 'true' : 'false'}
                                disabled={!hasVideo}
                                data-testid="call-camera"
                                onClick={() => calls.toggleCamera()}
                            >
                                {c.cameraOff ? t('call.camera_on') : t('call.camera_off')}
                            </button>
                            <button type="button" class="btn btn--danger btn--small" data-testid="call-hangup" onClick={() => calls.hangUp()}>
                                {t('call.hangup')}
                            </button>
                        </>
                    )}
                    {ended && (
                        <button type="button" class="btn btn--ghost btn--small" data-testid="call-close" onClick={() => calls.dismiss()}>
                            {t('call.close')}
                        </button>
                    )}
                </div>
            </div>
        </section>
    );
}

// A room's call that concerns the user but is not in this tab (after a
// reload, in a second tab, while this tab is in another call): what it is,
// and a way to end it, so that a call nobody here can reach does not ring
// or run on unseen.
export function CallElsewhere({ store, calls, roomId }) {
    const action = useAction();
    const state = store.mentoring.room(roomId);
    const call = calls.elsewhere(state && state.call);
    if (!call) {
        return null;
    }
    const mine = store.isMe(call.started_by);
    let text;
    let button;
    if (call.state === 'active') {
        text = t('call.elsewhere_active');
        button = t('call.end_elsewhere');
    } else if (mine) {
        text = t('call.elsewhere_calling');
        button = t('call.cancel_ringing');
    } else {
        text = t('call.incoming', { name: store.userName(call.started_by) || t('chat.unknown_user', { id: call.started_by }) });
        button = t('call.decline');
    }
    return (
        <div class="callbar" role="status" data-testid="call-elsewhere" data-state={call.state} data-call-id={call.id}>
            <span class="callbar__text">
                <strong>{text}</strong>
                <span class="callbar__hint">{t('call.elsewhere_hint')}</span>
            </span>
            <button
                type="button"
                class="btn btn--danger btn--small"
                disabled={action.busy || store.connState !== 'online'}
                data-testid="call-elsewhere-end"
                onClick={() => action.run(() => calls.endElsewhere(call))}
            >
                {button}
            </button>
            {action.error && (
                <p class="form-error callbar__error" role="alert" data-testid="call-elsewhere-error">
                    {noticeText(action.error)}
                </p>
            )}
        </div>
    );
}
