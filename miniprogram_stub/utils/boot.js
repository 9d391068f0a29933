// What the app does when it starts and when it comes back to the foreground.
const api = require('./api')
const queue = require('./queue')
const session = require('./session')
const subscribe = require('./subscribe')

// Log in without the user typing anything, learn the subscribe templates, and send what
// was left waiting for signal; from now on send it whenever the network returns.
function launch() {
  queue.start()
  const ready = (session.token() ? Promise.resolve() : api.login())
    .then(() => Promise.all([api.me(), subscribe.prefetch()]))
    .then(() => queue.flush())
    .catch(() => null) // no signal at launch: pages log in when they need to
  return ready
}

function show() {
  return queue.flush().catch(() => null)
}

module.exports = { launch, show }
