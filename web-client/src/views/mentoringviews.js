// The lazily loaded part of the app (see lazy.js): the mentoring pane and
// the mentoring room's panel.

export { MentoringHome } from './MentoringHome.jsx';
export { MentoringPanel } from './MentoringPanel.jsx';
