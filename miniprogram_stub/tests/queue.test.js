// The offline queue: a submission made without signal is kept in storage and sent when
// wx.onNetworkStatusChange says the network is back, with the Idempotency-Key it was given
// on the first tap; a retry after a timeout reuses the key, so nothing is filed twice.
const path = require('path')
const { ROOT, setup, settle } = require('./helpers/env')

const REPORT = {
  kind: 'ticket',
  path: '/tickets',
  body: { category_id: 11, description: '5栋2单元3楼楼道灯不亮', lat: 30.61, lng: 104.005, address: '', building: '5栋', unit: '2单元' },
  photos: ['wxfile://tmp/a.jpg'],
  purpose: 'report',
  label: '楼道灯',
}

const posts = (server) => server.requests('POST', '/tickets')
const keyOf = (req) => req.header['idempotency-key']

test('a report made offline is stored, then sent when the network returns, with its key', async () => {
  const { server, phone, mod } = setup()
  const queue = mod('utils/queue')
  queue.start()
  await mod('utils/api').me()
  phone.goOffline()
  const outcome = await queue.submit(REPORT)
  expect(outcome.queued).toBe(true)
  const stored = phone.store.get('linli.outbox')
  expect(stored).toHaveLength(1)
  expect(stored[0].id).toMatch(/^mp-/)
  expect(stored[0].body.description).toBe('5栋2单元3楼楼道灯不亮')
  expect(server.uploadCount).toBe(0)
  expect(posts(server)).toHaveLength(0)

  const sent = []
  queue.onChange((event, sub, result) => { if (event === 'sent') sent.push([sub.id, result.id]) })
  phone.goOnline() // wx.onNetworkStatusChange({isConnected: true})
  await settle(40)
  expect(posts(server)).toHaveLength(1)
  expect(keyOf(posts(server)[0])).toBe(stored[0].id)
  expect(posts(server)[0].body.photo_ids).toEqual([501])
  expect(server.created).toHaveLength(1)
  expect(sent).toEqual([[stored[0].id, 101]])
  expect(phone.store.get('linli.outbox')).toEqual([])
})

test('the photos of a waiting submission are copied out of the temporary files, and removed once sent', async () => {
  const { server, phone, mod } = setup()
  const queue = mod('utils/queue')
  phone.goOffline()
  const { submission } = await queue.submit(REPORT)
  expect(phone.callsOf('saveFileSync')).toEqual(['wxfile://tmp/a.jpg'])
  expect(queue.get(submission.id).photos[0]).toMatchObject({ path: 'wxfile://store/a.jpg', kept: true })
  phone.goOnline()
  await queue.flush()
  expect(server.requests('POST', '/uploads')[0].filePath).toBe('wxfile://store/a.jpg')
  expect(phone.callsOf('removeSavedFile')).toEqual(['wxfile://store/a.jpg'])
})

test('a timeout after the server filed it: the retry reuses the key and the server replays', async () => {
  const { server, phone, mod } = setup()
  const queue = mod('utils/queue')
  // the server files the report but the answer never reaches the phone
  server.failNext((r) => r.method === 'POST' && r.path === '/tickets', 'timeout', true)
  const first = await queue.submit(REPORT)
  expect(first.queued).toBe(true)
  expect(first.error.timeout).toBe(true)
  expect(server.created).toHaveLength(1)

  const again = await queue.sendFromForm(first.submission.id) // the user taps again
  expect(again.sent).toBe(true)
  expect(again.result.id).toBe(101)
  const [a, b] = posts(server)
  expect(keyOf(a)).toBe(keyOf(b))
  expect(b.body).toEqual(a.body)
  expect(server.created).toHaveLength(1) // filed once
  expect(server.uploadCount).toBe(1) // the photo uploaded before the timeout is not sent again
  expect(queue.list()).toEqual([])
  expect(phone.state.requests.filter((r) => r.kind === 'upload')).toHaveLength(1)
})

test('a photo upload cut off halfway: the retry uploads what is missing, then files once', async () => {
  const { server, mod } = setup()
  const queue = mod('utils/queue')
  server.failNext((r) => r.path === '/uploads' && r.filePath === 'wxfile://tmp/b.jpg', 'timeout')
  const first = await queue.submit(Object.assign({}, REPORT, { photos: ['wxfile://tmp/a.jpg', 'wxfile://tmp/b.jpg'] }))
  expect(first.queued).toBe(true)
  expect(queue.get(first.submission.id).photos.map((p) => p.upload_id)).toEqual([501, null])
  const again = await queue.sendFromForm(first.submission.id)
  expect(again.sent).toBe(true)
  expect(server.requests('POST', '/uploads').map((r) => r.filePath)).toEqual(['wxfile://tmp/a.jpg', 'wxfile://tmp/b.jpg', 'wxfile://store/b.jpg']) // the kept copy
  expect(posts(server)).toHaveLength(1)
  expect(posts(server)[0].body.photo_ids).toEqual([501, 502])
})

test('a double tap sends once', async () => {
  const { server, mod } = setup()
  const queue = mod('utils/queue')
  const sub = queue.create(REPORT)
  const [one, two] = await Promise.all([queue.send(sub.id), queue.send(sub.id)])
  expect(one).toBe(two)
  expect(posts(server)).toHaveLength(1)
})

test('a queued submission the server refuses is kept as failed, with the message, and not resent', async () => {
  const { server, phone, mod } = setup()
  const queue = mod('utils/queue')
  queue.start()
  phone.goOffline()
  const { submission } = await queue.submit(REPORT)
  server.route('POST', '/tickets', () => ({ status: 422, body: { error: { code: 'validation_error', message: '该位置不在任何网格内。', fields: { lat: ['位置超出社区范围。'] } } } }))
  phone.goOnline()
  await settle(40)
  const failed = queue.get(submission.id)
  expect(failed.status).toBe('failed')
  expect(failed.error).toBe('该位置不在任何网格内。\n位置超出社区范围。')
  await queue.flush()
  expect(posts(server)).toHaveLength(1)
})

test('a refusal on the form drops the submission (the user corrects and submits anew)', async () => {
  const { server, mod } = setup()
  const queue = mod('utils/queue')
  server.route('POST', '/tickets', () => ({ status: 403, body: { error: { code: 'forbidden', message: '无权操作。', fields: {} } } }))
  const err = await queue.submit(REPORT).catch((e) => e)
  expect(err.message).toBe('无权操作。')
  expect(queue.list()).toEqual([])
})

test('what waits survives a restart of the mini-program and keeps its key', async () => {
  const { server, phone, mod } = setup()
  phone.goOffline()
  const { submission } = await mod('utils/queue').submit(REPORT)

  jest.resetModules() // the mini-program is closed and opened again: new module instances, same storage
  global.wx = phone.wx
  const fresh = (p) => require(path.join(ROOT, p))
  fresh('utils/settings').override({ apiBase: server.origin })
  phone.goOnline()
  await fresh('utils/boot').launch()
  expect(posts(server)).toHaveLength(1)
  expect(keyOf(posts(server)[0])).toBe(submission.id)
  expect(fresh('utils/queue').list()).toEqual([])
})

test('a server error (503) keeps the submission waiting for the next try', async () => {
  const { server, mod } = setup()
  const queue = mod('utils/queue')
  let calls = 0
  server.route('POST', '/tickets', (req) => {
    calls += 1
    return calls === 1 ? { status: 503, body: { error: { code: 'unavailable', message: '服务繁忙。', fields: {} } } }
      : server.idempotently(req, () => server.createTicket(req.body, 'submitted'))
  })
  const first = await queue.submit(REPORT)
  expect(first.queued).toBe(true)
  expect(queue.get(first.submission.id).status).toBe('pending')
  const out = await queue.flush()
  expect(out).toEqual({ sent: 1, failed: 0, left: 0 })
  expect(keyOf(posts(server)[0])).toBe(keyOf(posts(server)[1]))
})
