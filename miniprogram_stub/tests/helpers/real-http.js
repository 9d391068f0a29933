// The fake phone's network, for the contract test: wx.request and wx.uploadFile answered by
// a real server over HTTP (JSON bodies; uploads as multipart/form-data, one file each).
const fs = require('fs')
const http = require('http')

function send(method, url, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }))
    })
    req.on('error', reject)
    req.setTimeout(15000, () => req.destroy(new Error('timeout')))
    if (body) req.write(body)
    req.end()
  })
}

function multipart(fields, fileField, filePath) {
  const boundary = `----linli${Date.now().toString(16)}`
  const parts = []
  Object.keys(fields || {}).forEach((name) => {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${fields[name]}\r\n`))
  })
  parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${fileField}"; filename="photo.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`))
  parts.push(fs.readFileSync(filePath))
  parts.push(Buffer.from(`\r\n--${boundary}--\r\n`))
  return { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` }
}

function parse(res) {
  const text = res.body.toString('utf8')
  const json = /json/.test(res.headers['content-type'] || '')
  return { status: res.status, body: json && text ? JSON.parse(text) : text, header: res.headers }
}

// handler(entry) for createFakeWx. lose(entry) → true: the server gets the request but the
// phone never sees the answer (a timeout after the server acted).
function realHttp({ lose = () => false } = {}) {
  return async (entry) => {
    let outcome
    if (entry.kind === 'upload') {
      const form = multipart(entry.formData, entry.name, entry.filePath)
      const header = Object.assign({}, entry.header, { 'Content-Type': form.type })
      outcome = parse(await send('POST', entry.url, header, form.body))
    } else {
      const body = entry.data === undefined || entry.method === 'GET' ? null : Buffer.from(JSON.stringify(entry.data))
      outcome = parse(await send(entry.method, entry.url, entry.header, body))
    }
    return lose(entry) ? { fail: 'timeout' } : outcome
  }
}

module.exports = { send, realHttp }
