// Issue 13, item 4: the 'error' listener the guide tells users to attach, exactly as the guide
// shows it (examples/pg-error-listener.ts), attached to every ORM the tests open.
export { pgWithErrorListener } from '../../examples/pg-error-listener';
