// Journey 1 on the report page: the location filled from the phone (GCJ-02), a category,
// two photos uploaded one by one, consent asked on the submit tap, and the duplicate prompt
// (我也遇到 follows the existing case, nothing is filed).
const { setup, render, text, all, settle } = require('./helpers/env')
const { iso } = require('./helpers/fake-api')

async function openReport(env) {
  const page = render(env.simulate, 'report')
  await page.instance.onLoad({})
  await settle()
  return page
}

async function fill(page, { photos = true } = {}) {
  page.instance.onTopChange({ detail: { value: 0 } }) // 公共设施
  await page.instance.onSubChange({ detail: { value: 0 } }) // 楼道灯损坏
  page.instance.onInput({ currentTarget: { dataset: { field: 'description' } }, detail: { value: '5栋2单元3楼楼道灯不亮' } })
  page.instance.onInput({ currentTarget: { dataset: { field: 'building' } }, detail: { value: '5栋' } })
  page.instance.onInput({ currentTarget: { dataset: { field: 'unit' } }, detail: { value: '2单元3楼' } })
  if (photos) {
    const picker = page.querySelector('#photos')
    await picker.instance.add() // wx.chooseMedia → two photos
    await settle()
  }
}

function tap(page, selector) {
  page.querySelector(selector).dispatchEvent('tap')
  return settle(60)
}

test('a report with two photos: uploaded one by one, then filed once with their ids', async () => {
  const env = setup()
  const { server, phone } = env
  const page = await openReport(env)
  // the location is already filled from the phone, asked in GCJ-02
  expect(phone.callsOf('getLocation')[0].type).toBe('gcj02')
  expect(page.data.form.lat).toBe(30.61)
  expect(page.data.topNames).toEqual(['公共设施', '环境'])

  await fill(page)
  expect(phone.callsOf('chooseMedia')[0]).toMatchObject({ count: 9, mediaType: ['image'] })
  expect(page.data.form.photos).toEqual(['wxfile://tmp/photo-1.jpg', 'wxfile://tmp/photo-2.jpg'])
  expect(all(page, '.photo')).toHaveLength(0) // thumbnails live inside the component
  expect(page.querySelector('#photos').querySelectorAll('.photo')).toHaveLength(2)

  const progress = []
  const setData = page.instance.setData.bind(page.instance)
  page.instance.setData = (data, cb) => { if (data.progress) progress.push(data.progress); return setData(data, cb) }
  await tap(page, '#submit')

  // consent asked in the tap, before anything went over the network
  const ask = phone.callsOf('requestSubscribeMessage')
  expect(ask).toHaveLength(1)
  expect(ask[0].tmplIds).toEqual(['tmpl-ticket'])
  expect(server.subscriptions).toEqual([{ 'tmpl-ticket': 'accept' }])

  const trace = phone.state.trace.filter((t) => /uploads|\/tickets$/.test(t)).map((t) => t.replace('https://linli.test/api/v1', ''))
  expect(trace).toEqual([
    'send upload /uploads', 'done upload /uploads',
    'send upload /uploads', 'done upload /uploads',
    'send request /tickets', 'done request /tickets',
  ])
  const [post] = server.requests('POST', '/tickets')
  expect(post.header['idempotency-key']).toMatch(/^mp-/)
  expect(post.body).toEqual({
    category_id: 11, description: '5栋2单元3楼楼道灯不亮', lat: 30.61, lng: 104.005,
    address: '', building: '5栋', unit: '2单元3楼', photo_ids: [501, 502],
  })
  expect(progress).toContain('正在上传第 1/2 张照片 30%')
  expect(progress).toContain('正在上传第 2/2 张照片 100%')
  expect(progress).toContain('正在提交…')
  expect(phone.callsOf('navigateTo').map((o) => o.url)).toEqual(['/pages/ticket/ticket?id=101'])
  expect(page.data.form.description).toBe('') // a fresh form for the next report
  expect(server.created).toHaveLength(1)
})

test('the duplicate prompt: 我也遇到 follows the existing case and files nothing', async () => {
  const env = setup()
  const { server, phone } = env
  server.nearbyItems = [{
    id: 42, description: '5栋楼道灯坏了', state: 'dispatched', distance_m: 30,
    follower_count: 1, created_at: iso(2 * 86400000), following: false,
  }]
  const page = await openReport(env)
  await fill(page, { photos: false })
  const nearby = server.requests('GET', '/tickets/nearby')
  expect(nearby[nearby.length - 1].query).toEqual({ category: '11', lat: '30.61', lng: '104.005' })
  expect(text(page, '.nearby-notice')).toBe('附近已有 1 条相同问题（2 天前）')
  expect(all(page, '.nearby-item')).toHaveLength(1)

  await tap(page, '.me-too')
  expect(server.requests('POST', '/tickets/42/follow')).toHaveLength(1)
  expect(server.followed).toEqual([42])
  expect(server.requests('POST', '/tickets')).toHaveLength(0)
  expect(server.uploadCount).toBe(0)
  expect(phone.callsOf('requestSubscribeMessage')[0].tmplIds).toEqual(['tmpl-ticket'])
  expect(text(page, '.report-notice')).toContain('已关注，处理进展会通知您')
  expect(page.data.nearby).toEqual([])
})

test('a location chosen on the map (GCJ-02) replaces the phone position and its address', async () => {
  const env = setup()
  const page = await openReport(env)
  await page.instance.chooseOnMap()
  expect(env.phone.callsOf('chooseLocation')[0]).toEqual(expect.objectContaining({ latitude: 30.61, longitude: 104.005 }))
  expect(page.data.form).toMatchObject({ lat: 30.6102, lng: 104.0051, address: '晋阳路 5 号 5栋' })
})

test('a form left incomplete is checked on the phone: nothing is sent', async () => {
  const env = setup()
  env.phone.state.locationError = 'getLocation:fail auth deny'
  const page = await openReport(env)
  expect(page.data.locationDenied).toBe(true)
  await tap(page, '#submit')
  expect(page.data.fieldErrors).toEqual({
    category_id: '请选择问题类别', description: '请描述问题（至少 2 个字）', lat: '请确定位置',
  })
  expect(text(page, '.error-box')).toBe('请先补全标红的内容。')
  expect(env.server.requests('POST', '/tickets')).toHaveLength(0)
  expect(env.phone.callsOf('requestSubscribeMessage')).toHaveLength(0)
})

test("the server's field errors are shown under the fields", async () => {
  const env = setup()
  env.server.route('POST', '/tickets', () => ({
    status: 422,
    body: { error: { code: 'validation_error', message: '提交的内容有误。', fields: { description: ['描述包含不允许的内容。'] } } },
  }))
  const page = await openReport(env)
  await fill(page, { photos: false })
  await tap(page, '#submit')
  expect(page.data.fieldErrors).toEqual({ description: '描述包含不允许的内容。' })
  expect(page.data.error).toBe('提交的内容有误。\n描述包含不允许的内容。')
  expect(text(page, '.field-error')).toBe('描述包含不允许的内容。')
  expect(page.data.pendingId).toBe('')
})

test('without signal the report is kept, and goes out by itself when the signal returns', async () => {
  const env = setup()
  const { server, phone, mod } = env
  mod('utils/queue').start()
  const page = await openReport(env)
  await fill(page)
  phone.goOffline()
  await tap(page, '#submit')
  expect(text(page, '.report-notice')).toBe('当前无信号，已保存，有信号时会自动发送（不会重复提交）。')
  expect(text(page, '#submit')).toBe('重新发送')
  const key = page.data.pendingId
  expect(phone.store.get('linli.outbox')[0].id).toBe(key)

  phone.goOnline()
  await settle(80)
  const posts = server.requests('POST', '/tickets')
  expect(posts).toHaveLength(1)
  expect(posts[0].header['idempotency-key']).toBe(key)
  expect(page.data.pendingId).toBe('')
  expect(phone.callsOf('navigateTo').map((o) => o.url)).toEqual(['/pages/ticket/ticket?id=101'])
})

test('"send again" after a timeout sends the same submission with the same key', async () => {
  const env = setup()
  const { server } = env
  server.failNext((r) => r.method === 'POST' && r.path === '/tickets', 'timeout', true)
  const page = await openReport(env)
  await fill(page)
  await tap(page, '#submit')
  expect(text(page, '#submit')).toBe('重新发送')
  await tap(page, '#submit')
  const posts = server.requests('POST', '/tickets')
  expect(posts).toHaveLength(2)
  expect(posts[1].header['idempotency-key']).toBe(posts[0].header['idempotency-key'])
  expect(server.created).toHaveLength(1)
  expect(server.uploadCount).toBe(2)
})

// The map of the report page: the pin at the phone's position; dragging the map moves the
// point to its centre (regionchange end), and the report goes with the pin's coordinates.
const drag = (centre, extra = {}) => Object.assign({
  type: 'end', causedBy: 'drag',
  detail: Object.assign({ type: 'end', causedBy: 'drag' }, centre ? { centerLocation: centre } : {}),
}, extra)

test('the map shows the pin at my position; dragging the map moves the pin, and the report goes with its point', async () => {
  const env = setup()
  const { server } = env
  const page = await openReport(env)
  const map = page.querySelector('#report-map')
  expect(map.dom.getAttribute('latitude')).toBe('30.61')
  expect(map.dom.getAttribute('longitude')).toBe('104.005')
  expect(page.data.markers).toEqual([expect.objectContaining({ latitude: 30.61, longitude: 104.005, iconPath: '/images/pin.png' })])
  expect(text(page, '.location-text')).toBe('当前位置')
  expect(text(page, '.choose-location')).toBe('重新选点')
  await fill(page, { photos: false })

  // the start of a drag, and a move the page made itself, change nothing
  await page.instance.onRegionChange(drag({ latitude: 30.62, longitude: 104.01 }, { type: 'begin', detail: { type: 'begin' } }))
  await page.instance.onRegionChange(drag({ latitude: 30.62, longitude: 104.01 }, { causedBy: 'update', detail: { type: 'end', causedBy: 'update', centerLocation: { latitude: 30.62, longitude: 104.01 } } }))
  expect(page.data.form).toMatchObject({ lat: 30.61, lng: 104.005 })

  await page.instance.onRegionChange(drag({ latitude: 30.6111, longitude: 104.0062 }))
  await settle()
  expect(page.data.form).toMatchObject({ lat: 30.6111, lng: 104.0062 })
  expect(page.data.markers[0]).toMatchObject({ latitude: 30.6111, longitude: 104.0062 })
  expect(map.dom.getAttribute('latitude')).toBe('30.6111')
  expect(text(page, '.location-text')).toBe('地图选点')
  const nearby = server.requests('GET', '/tickets/nearby')
  expect(nearby[nearby.length - 1].query).toMatchObject({ lat: '30.6111', lng: '104.0062' }) // asked again for the new point

  // an older base library: no centre in the event, the map context is asked
  await page.instance.onRegionChange(drag(null))
  await settle()
  expect(env.phone.callsOf('createMapContext')).toEqual(['report-map'])
  expect(page.data.form).toMatchObject({ lat: 30.6107, lng: 104.0046 })

  await tap(page, '#submit')
  const [post] = server.requests('POST', '/tickets')
  expect(post.body).toMatchObject({ lat: 30.6107, lng: 104.0046 })
})

test('重新选点 keeps wx.chooseLocation: the pin moves to the chosen place', async () => {
  const env = setup()
  const page = await openReport(env)
  await tap(page, '.choose-location')
  expect(env.phone.callsOf('chooseLocation')).toHaveLength(1)
  expect(page.data.markers[0]).toMatchObject({ latitude: 30.6102, longitude: 104.0051 })
  expect(page.querySelector('#report-map').dom.getAttribute('latitude')).toBe('30.6102')
})

test('no position yet: no map, the way to choose one on the map instead', async () => {
  const env = setup()
  env.phone.state.locationError = 'getLocation:fail auth deny'
  const page = await openReport(env)
  expect(page.querySelector('#report-map')).toBeUndefined()
  expect(text(page, '.choose-location')).toBe('在地图上选择')
  expect(page.data.markers).toEqual([])
})

test('我也遇到 is never offered on my own report: it says 我上报的', async () => {
  const env = setup()
  const { server } = env
  server.nearbyItems = [
    { id: 41, description: '我报过的楼道灯', state: 'submitted', distance_m: 10, follower_count: 0, created_at: iso(86400000), following: false, mine: true },
    { id: 42, description: '邻居报的楼道灯', state: 'dispatched', distance_m: 30, follower_count: 1, created_at: iso(2 * 86400000), following: false, mine: false },
    { id: 43, description: '已关注的', state: 'dispatched', distance_m: 40, follower_count: 2, created_at: iso(2 * 86400000), following: true, mine: false },
  ]
  const page = await openReport(env)
  await fill(page, { photos: false })
  expect(all(page, '.nearby-item')).toHaveLength(3)
  expect(all(page, '.me-too')).toHaveLength(1)
  expect(text(page, '.nearby-mine')).toBe('我上报的')
  await tap(page, '.me-too')
  expect(server.requests('POST', '/tickets/42/follow')).toHaveLength(1)
  expect(server.requests('POST', '/tickets/41/follow')).toHaveLength(0)
})
