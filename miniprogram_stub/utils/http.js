// One wx.request as a promise: answers {statusCode, data, header} for every HTTP status and
// rejects only when no answer came (no signal, timeout): a NetworkError.
const { NetworkError } = require('./errors')

function send({ method = 'GET', url, data, header = {}, timeout }) {
  return new Promise((resolve, reject) => {
    const options = {
      url,
      method,
      header,
      dataType: 'json',
      success: (res) => resolve({ statusCode: res.statusCode, data: res.data, header: res.header || {} }),
      fail: (err) => reject(new NetworkError(err && err.errMsg)),
    }
    if (data !== undefined) options.data = data
    if (timeout) options.timeout = timeout
    wx.request(options)
  })
}

function query(params) {
  if (!params) return ''
  const parts = Object.keys(params)
    .filter((k) => params[k] !== undefined && params[k] !== null && params[k] !== '')
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(params[k])}`)
  return parts.length ? `?${parts.join('&')}` : ''
}

module.exports = { send, query }
