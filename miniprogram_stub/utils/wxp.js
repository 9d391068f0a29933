// wx's callback APIs as promises. The base library's own promise forms differ between
// versions (and are missing from some APIs), so Linli calls through this one helper.
function call(name, options) {
  return new Promise((resolve, reject) => {
    const fn = typeof wx !== 'undefined' ? wx[name] : undefined
    if (typeof fn !== 'function') {
      reject({ errMsg: `${name}:fail not supported` })
      return
    }
    fn.call(wx, Object.assign({}, options, { success: resolve, fail: reject }))
  })
}

// Calls that only show something: never let their failure break a flow.
function quietly(name, options) {
  return call(name, options).catch(() => null)
}

module.exports = { call, quietly }
