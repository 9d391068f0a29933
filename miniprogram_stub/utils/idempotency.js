// One key per logical submission (a report, a resolution …), created when the user taps and
// kept with the submission until the server has answered, across retries and restarts.
let counter = 0

function randomHex(length) {
  let out = ''
  while (out.length < length) out += Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0')
  return out.slice(0, length)
}

function newKey() {
  counter = (counter + 1) % 0x10000
  return `mp-${Date.now().toString(36)}-${counter.toString(36)}-${randomHex(16)}`
}

module.exports = { newKey }
