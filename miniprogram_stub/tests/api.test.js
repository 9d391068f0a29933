// The API module: WeChat login, Bearer token, one new login on 401, the error shape,
// Accept-Language, and photo uploads one by one with progress.
const { setup } = require('./helpers/env')

const lang = (req) => req.header['accept-language']

describe('login', () => {
  test('wx.login → POST /auth/wechat → the token is kept and sent as Bearer', async () => {
    const { server, phone, mod } = setup()
    const api = mod('utils/api')
    const me = await api.me()
    expect(me.display_name).toBe('王阿姨')
    const [login, get] = server.log
    expect(login.path).toBe('/auth/wechat')
    expect(login.body).toEqual({ code: 'wx-code-1' })
    expect(get.header.authorization).toBe('Bearer tok-1')
    expect(lang(get)).toBe('zh-CN')
    expect(phone.store.get('linli.session').token).toBe('tok-1')
    await api.categories()
    expect(phone.state.loginCount).toBe(1) // the stored token is reused
  })

  test('a 401 logs in again once and repeats the request', async () => {
    const { server, phone, mod } = setup()
    const api = mod('utils/api')
    await api.me()
    server.revokeAll() // the token expired or was revoked on the server
    const me = await api.me()
    expect(me.role).toBe('resident')
    expect(phone.state.loginCount).toBe(2)
    expect(server.log.map((r) => `${r.path} ${r.header.authorization || ''}`.trim())).toEqual([
      '/auth/wechat', '/me Bearer tok-1', '/me Bearer tok-1', '/auth/wechat', '/me Bearer tok-2',
    ])
  })

  test('a second 401 is not retried forever: the error reaches the page', async () => {
    const { server, phone, mod } = setup()
    const api = mod('utils/api')
    const { ApiError, describe: text } = mod('utils/errors')
    server.route('GET', '/me', () => ({ status: 401, body: { error: { code: 'unauthorized', message: '请先登录。', fields: {} } } }))
    const err = await api.me().catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(401)
    expect(text(err)).toBe('请先登录。')
    expect(phone.state.loginCount).toBe(2)
    expect(server.requests('GET', '/me')).toHaveLength(2)
  })

  test('pages starting together share one wx.login', async () => {
    const { phone, mod } = setup()
    const api = mod('utils/api')
    await Promise.all([api.me(), api.categories(), api.templates(), api.notifications()])
    expect(phone.state.loginCount).toBe(1)
  })

  test('an expired token in storage is replaced before the request, not after a 401', async () => {
    const { server, phone, mod } = setup()
    phone.wx.setStorageSync('linli.session', { token: 'old', expires_at: '2020-01-01T00:00:00+00:00', user: null })
    await mod('utils/api').me()
    expect(server.log.map((r) => r.path)).toEqual(['/auth/wechat', '/me'])
  })

  test('the demo login (devLoginOpenid) uses /auth/dev-login instead of wx.login', async () => {
    const { server, phone, mod } = setup()
    server.route('POST', '/auth/dev-login', () => ({ status: 200, body: server.issueToken(server.user) }))
    mod('utils/settings').override({ devLoginOpenid: 'demo-resident-wang' })
    await mod('utils/api').me()
    expect(server.log[0].path).toBe('/auth/dev-login')
    expect(server.log[0].body).toEqual({ openid: 'demo-resident-wang' })
    expect(phone.state.loginCount).toBe(0)
  })

  test('binding as a grid worker replaces the token and the role', async () => {
    const { server, mod } = setup()
    const api = mod('utils/api')
    const session = mod('utils/session')
    await api.me()
    const bad = await api.bind('WRONG1').catch((e) => e)
    expect(bad.message).toBe('绑定码无效或已过期。')
    await api.bind(' K7Q4M2 ')
    expect(server.requests('POST', '/auth/bind')[1].body).toEqual({ binding_code: 'K7Q4M2' })
    expect(session.role()).toBe('grid_worker')
    expect(session.get().token).toBe('tok-2')
  })
})

describe('errors', () => {
  test('the one error shape: message and field messages, nested ones too', async () => {
    const { server, mod } = setup()
    const { describe: text, fieldMessages } = mod('utils/errors')
    server.route('POST', '/tickets', () => ({
      status: 422,
      body: { error: { code: 'validation_error', message: '输入有误。', fields: { description: ['太短了。'], photo_ids: { 0: ['照片不存在。'] } } } },
    }))
    const err = await mod('utils/api').post('/tickets', {}).catch((e) => e)
    expect(err.code).toBe('validation_error')
    expect(err.retryable).toBe(false)
    expect(fieldMessages(err)).toEqual({ description: '太短了。', photo_ids: '照片不存在。' })
    expect(text(err)).toBe('输入有误。\n太短了。\n照片不存在。')
  })

  test('no signal and timeouts are network errors, worth retrying', async () => {
    const { server, phone, mod } = setup()
    const api = mod('utils/api')
    const { NetworkError, describe: text } = mod('utils/errors')
    await api.me()
    phone.goOffline()
    const offline = await api.me().catch((e) => e)
    expect(offline).toBeInstanceOf(NetworkError)
    expect(text(offline)).toBe('网络不可用，请检查信号后重试。')
    phone.goOnline()
    server.failNext((r) => r.path === '/me', 'timeout')
    const slow = await api.me().catch((e) => e)
    expect(slow.timeout).toBe(true)
    expect(slow.retryable).toBe(true)
    expect(text(slow)).toBe('网络太慢，请求超时，请稍后重试。')
  })

  test('an answer that is not the error shape (a proxy page) still gives a message', async () => {
    const { server, mod } = setup()
    const { describe: text } = mod('utils/errors')
    server.route('GET', '/me', () => ({ status: 502, body: '<html>Bad Gateway</html>' }))
    const err = await mod('utils/api').me().catch((e) => e)
    expect(err.retryable).toBe(true)
    expect(text(err)).toBe('服务暂时不可用（502），请稍后重试。')
  })
})

describe('uploads', () => {
  test('photos go up one by one with wx.uploadFile, with progress', async () => {
    const { server, phone, mod } = setup()
    const upload = mod('utils/upload')
    const progress = []
    const answers = await upload.uploadPhotos(['wxfile://a.jpg', 'wxfile://b.jpg'], {
      purpose: 'report',
      onProgress: (p) => progress.push([p.index, p.percent]),
    })
    expect(answers.map((a) => a.id)).toEqual([501, 502])
    const uploads = phone.state.requests.filter((r) => r.kind === 'upload')
    expect(uploads.map((u) => [u.filePath, u.name, u.formData])).toEqual([
      ['wxfile://a.jpg', 'file', { purpose: 'report' }],
      ['wxfile://b.jpg', 'file', { purpose: 'report' }],
    ])
    expect(uploads[0].url).toBe('https://linli.test/api/v1/uploads')
    expect(uploads[0].header.Authorization).toBe('Bearer tok-1')
    // the second starts only when the first has answered
    const trace = phone.state.trace.filter((t) => t.includes('upload'))
    expect(trace.map((t) => t.split(' ')[0])).toEqual(['send', 'done', 'send', 'done'])
    expect(progress).toEqual([[0, 0], [0, 30], [0, 100], [0, 100], [1, 0], [1, 30], [1, 100], [1, 100]])
    expect(server.uploadCount).toBe(2)
  })

  test('an upload answered 401 logs in again and uploads once more', async () => {
    const { server, phone, mod } = setup()
    await mod('utils/api').me()
    server.revokeAll()
    const answer = await mod('utils/upload').uploadPhoto('wxfile://a.jpg')
    expect(answer.id).toBe(501)
    expect(phone.state.loginCount).toBe(2)
  })

  test('an upload refused shows the API message (res.data is a string)', async () => {
    const { server, mod } = setup()
    server.route('POST', '/uploads', () => ({ status: 413, body: { error: { code: 'too_large', message: '照片太大（最大 10 MB）。', fields: {} } } }))
    const err = await mod('utils/upload').uploadPhoto('wxfile://a.jpg').catch((e) => e)
    expect(err.status).toBe(413)
    expect(err.message).toBe('照片太大（最大 10 MB）。')
  })

  test('photo URLs are relative to the API origin', () => {
    const { mod } = setup()
    const settings = mod('utils/settings')
    expect(settings.absoluteUrl('/media/5/thumb?sig=x')).toBe('https://linli.test/media/5/thumb?sig=x')
    expect(settings.absoluteUrl('https://cdn.test/x.jpg')).toBe('https://cdn.test/x.jpg')
  })
})
