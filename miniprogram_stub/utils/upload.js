// Photos go up one by one with wx.uploadFile (one file per call, multipart field `file`),
// each answering {id, url, thumb_url}; the report then names them by id.
const api = require('./api')
const i18n = require('./i18n')
const session = require('./session')
const settings = require('./settings')
const { ApiError, NetworkError } = require('./errors')

function uploadOnce(filePath, token, { purpose, onProgress }) {
  return new Promise((resolve, reject) => {
    const task = wx.uploadFile({
      url: settings.apiUrl('/uploads'),
      filePath,
      name: 'file',
      formData: { purpose: purpose || 'report' }, // formData values arrive as strings
      header: { Authorization: `Bearer ${token}`, 'Accept-Language': i18n.acceptLanguage() },
      timeout: settings.get().uploadTimeout,
      success: (res) => {
        let body = res.data // a string, unlike wx.request's
        if (typeof body === 'string') {
          try {
            body = JSON.parse(body)
          } catch (e) {
            body = null
          }
        }
        resolve({ statusCode: res.statusCode, data: body })
      },
      fail: (err) => reject(new NetworkError(err && err.errMsg)),
    })
    if (task && typeof task.onProgressUpdate === 'function' && onProgress) {
      task.onProgressUpdate((p) => onProgress(p.progress))
    }
  })
}

async function uploadPhoto(filePath, options = {}) {
  let token = session.token() || (await api.login()).token
  for (let attempt = 0; ; attempt += 1) {
    const res = await uploadOnce(filePath, token, options)
    if (res.statusCode === 401 && attempt === 0) {
      session.clear()
      token = (await api.login()).token
      continue
    }
    if (res.statusCode >= 400) throw new ApiError(res.statusCode, res.data)
    return res.data
  }
}

// Several photos, strictly one after the other; onProgress({index, total, percent}).
async function uploadPhotos(paths, { purpose, onProgress } = {}) {
  const out = []
  for (let index = 0; index < paths.length; index += 1) {
    const report = (percent) => onProgress && onProgress({ index, total: paths.length, percent })
    report(0)
    out.push(await uploadPhoto(paths[index], { purpose, onProgress: report }))
    report(100)
  }
  return out
}

module.exports = { uploadPhoto, uploadPhotos }
