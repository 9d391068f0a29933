// Journey 2: a grid worker's tasks (nearest first, overdue marked), a task (navigate, 到达
// with the distance, 已处置 with an after-photo, 退回 with a reason), a patrol report, and
// binding with the code from staff.
const { setup, render, text, all, settle } = require('./helpers/env')
const { iso } = require('./helpers/fake-api')

function asWorker(env) {
  env.server.user = Object.assign({}, env.server.user, { id: 8, role: 'grid_worker', display_name: '李师傅', cells: [{ id: 3, code: '01', name: 'A 三级网格 1', level: 'L3' }] })
}

function tap(page, selector) {
  page.querySelector(selector).dispatchEvent('tap')
  return settle(60)
}

async function openTask(env, task) {
  const page = render(env.simulate, 'task')
  await page.instance.onLoad({ id: String(task.id) })
  await settle()
  return page
}

test('my tasks: nearest first with my position, overdue ones marked', async () => {
  const env = setup()
  asWorker(env)
  const far = env.server.addTask({ distance_m: 820, description: '远处的路灯' })
  const overdue = env.server.addTask({ distance_m: 40, overdue: true, due_at: iso(3600000), description: '井盖缺失' })
  const later = env.server.addTask({ distance_m: 200, description: '垃圾堆放', due_at: iso(-2 * 86400000) })
  const page = render(env.simulate, 'tasks')
  await page.instance.onLoad({})
  await settle()

  expect(env.phone.callsOf('getLocation')[0].type).toBe('gcj02')
  expect(env.server.requests('GET', '/worker/tasks')[0].query).toMatchObject({ lat: '30.61', lng: '104.005' })
  expect(page.data.mode).toBe('nearest')
  expect(page.data.rows.map((r) => r.distance)).toEqual(['40 米', '200 米', '820 米'])
  const items = all(page, '.task-item')
  expect(items).toHaveLength(3)
  expect(all(page, '.overdue')).toHaveLength(1)
  expect(text(page, '.overdue .badge')).toBe('已超期')
  expect(text(page, '.overdue-count')).toBe('超期 1')

  await tap(page, '#mode-overdue')
  expect(page.data.rows[0].id).toBe(overdue.id)
  expect(page.data.rows.map((r) => r.id)).toEqual([overdue.id, far.id, later.id])
})

test('my tasks: a yellow badge for a task past 75 % of its time, red for an overdue one', async () => {
  const env = setup()
  asWorker(env)
  const soon = env.server.addTask({ distance_m: 60, tier: 'yellow', due_at: iso(-3600000), description: '楼道灯不亮' })
  const late = env.server.addTask({ distance_m: 90, tier: 'red', overdue: true, due_at: iso(3600000), description: '井盖缺失' })
  const calm = env.server.addTask({ distance_m: 120, tier: null, due_at: iso(-5 * 86400000), description: '垃圾堆放' })
  const page = render(env.simulate, 'tasks')
  await page.instance.onLoad({})
  await settle()

  expect(page.data.rows.map((r) => [r.id, r.tier])).toEqual([[soon.id, 'yellow'], [late.id, 'red'], [calm.id, null]])
  expect(all(page, '.tier-yellow')).toHaveLength(1)
  expect(text(page, '.tier-yellow .tier-badge')).toBe('即将超期')
  expect(all(page, '.tier-badge')).toHaveLength(1)
  expect(text(page, '.overdue .badge')).toBe('已超期')
  expect(text(page, '.due-soon-count')).toBe('即将超期 1')
  expect(text(page, '.overdue-count')).toBe('超期 1')
})

test('my tasks without a position: the server orders them, overdue first', async () => {
  const env = setup()
  asWorker(env)
  env.phone.state.locationError = 'getLocation:fail auth deny'
  env.server.addTask()
  const page = render(env.simulate, 'tasks')
  await page.instance.onLoad({})
  await settle()
  expect(env.server.requests('GET', '/worker/tasks')[0].query).toEqual({ limit: '100' })
  expect(page.data.mode).toBe('overdue')
  expect(text(page, '.hint')).toBe('未获取到位置，按超期优先排列。')
})

test('a resident who opens 任务 is told how to bind', async () => {
  const env = setup()
  const page = render(env.simulate, 'tasks')
  await page.instance.onLoad({})
  await settle()
  expect(text(page, '.not-worker .card-title')).toBe('此页面仅供网格员使用')
  expect(env.server.requests('GET', '/worker/tasks')).toHaveLength(0)
})

test('a task: navigate, check in (the distance shown), resolve with a photo', async () => {
  const env = setup()
  asWorker(env)
  const { server, phone } = env
  const task = server.addTask()
  const page = await openTask(env, task)
  expect(text(page, '.task-state')).toBe('已派遣')

  await tap(page, '#navigate')
  expect(phone.callsOf('openLocation')[0]).toMatchObject({ latitude: 30.61, longitude: 104.005, name: '公共设施 › 楼道灯损坏', address: '晋阳路 5 号 5栋 2单元' })

  await tap(page, '#check-in')
  const [checkIn] = server.requests('POST', `/tickets/${task.id}/check-in`)
  expect(checkIn.body).toEqual({ lat: 30.61, lng: 104.005 })
  expect(phone.callsOf('getLocation').pop().type).toBe('gcj02')
  expect(text(page, '.check-in-text')).toBe('已到达，距事件位置 30 米')
  expect(text(page, '.task-state')).toBe('处置中')

  await tap(page, '#open-resolve')
  phone.state.media = ['wxfile://tmp/after.jpg']
  await page.querySelector('#photos').instance.add()
  page.instance.onNote({ detail: { value: '已更换灯泡' } })
  await settle()
  await tap(page, '#resolve')

  const [upload] = server.requests('POST', '/uploads')
  expect(upload.formData).toEqual({ purpose: 'after' })
  expect(upload.filePath).toBe('wxfile://tmp/after.jpg')
  const [resolve] = server.requests('POST', `/tickets/${task.id}/resolve`)
  expect(resolve.body).toEqual({ note: '已更换灯泡', version: 4, photo_ids: [501] })
  expect(resolve.header['idempotency-key']).toMatch(/^mp-/)
  expect(text(page, '.task-state')).toBe('已处置')
  expect(text(page, '.task-notice')).toBe('处置结果已提交')
  expect(page.data.task.afterPhotos.map((p) => p.thumb)).toEqual(['https://linli.test/media/501/thumb'])
})

test('resolving in the basement: kept, then sent when the signal returns, once', async () => {
  const env = setup()
  asWorker(env)
  const { server, phone, mod } = env
  mod('utils/queue').start()
  const task = server.addTask({ state: 'in_progress', actions: ['resolve', 'hand_back'] })
  const page = await openTask(env, task)
  await tap(page, '#open-resolve')
  page.instance.onNote({ detail: { value: '已疏通' } })
  phone.goOffline()
  await tap(page, '#resolve')
  expect(text(page, '.task-notice')).toBe('当前无信号，处置结果已保存，有信号时会自动发送。')
  const key = page.data.pendingId
  expect(key).toMatch(/^mp-/)

  phone.goOnline()
  await settle(80)
  const posts = server.requests('POST', `/tickets/${task.id}/resolve`)
  expect(posts).toHaveLength(1)
  expect(posts[0].header['idempotency-key']).toBe(key)
  expect(page.data.pendingId).toBe('')
  expect(text(page, '.task-notice')).toBe('处置结果已提交')
  expect(page.data.task.state).toBe('resolved')
})

test('hand back needs a reason, then goes back to staff', async () => {
  const env = setup()
  asWorker(env)
  const task = env.server.addTask()
  const page = await openTask(env, task)
  await tap(page, '#open-handback')
  await tap(page, '#hand-back')
  expect(text(page, '.field-error')).toBe('请填写退回原因')
  expect(env.server.requests('POST', `/tickets/${task.id}/hand-back`)).toHaveLength(0)
  page.instance.onReason({ detail: { value: '燃气异味，需燃气公司处理' } })
  await tap(page, '#hand-back')
  const [post] = env.server.requests('POST', `/tickets/${task.id}/hand-back`)
  expect(post.body).toEqual({ reason: '燃气异味，需燃气公司处理', version: 3 })
  expect(env.phone.callsOf('navigateBack')).toHaveLength(1)
})

test('a patrol report goes to /worker/patrol-reports and opens the new task', async () => {
  const env = setup()
  asWorker(env)
  const page = render(env.simulate, 'patrol')
  await page.instance.onLoad({})
  await settle()
  page.instance.onTopChange({ detail: { value: 1 } })
  page.instance.onSubChange({ detail: { value: 0 } })
  page.instance.onInput({ currentTarget: { dataset: { field: 'description' } }, detail: { value: '大门旁堆放垃圾' } })
  await page.querySelector('#photos').instance.add()
  await settle()
  await tap(page, '#submit')
  const [post] = env.server.requests('POST', '/worker/patrol-reports')
  expect(post.body).toEqual({ category_id: 21, description: '大门旁堆放垃圾', lat: 30.61, lng: 104.005, address: '', photo_ids: [501, 502] })
  expect(post.header['idempotency-key']).toMatch(/^mp-/)
  expect(env.phone.callsOf('redirectTo').map((o) => o.url)).toEqual(['/pages/task/task?id=101'])
})

test('binding: a wrong code shows the reason, the right one makes me a grid worker', async () => {
  const env = setup()
  const { mod } = env
  const page = render(env.simulate, 'bind')
  await page.instance.onLoad({})
  page.instance.onCode({ detail: { value: 'WRONG1' } })
  await tap(page, '#bind')
  expect(text(page, '.error-box')).toBe('绑定码无效或已过期。')
  page.instance.onCode({ detail: { value: 'K7Q4M2' } })
  await tap(page, '#bind')
  expect(text(page, '.bound')).toBe('已绑定为网格员 李师傅')
  expect(mod('utils/session').role()).toBe('grid_worker')
  expect(env.phone.callsOf('switchTab').map((o) => o.url)).toEqual(['/pages/tasks/tasks'])
  const bar = render(env.simulate, 'tab', 'custom-tab-bar/index')
  expect(bar.data.items.map((i) => i.name)).toEqual(['home', 'tasks', 'me'])
})

test('新任务提醒 asks consent for the task template on the tap and reports the answer', async () => {
  const env = setup()
  asWorker(env)
  const page = render(env.simulate, 'tasks')
  await page.instance.onLoad({})
  await settle()
  await tap(page, '#remind')
  expect(env.phone.callsOf('requestSubscribeMessage')[0].tmplIds).toEqual(['tmpl-task'])
  expect(env.server.subscriptions).toEqual([{ 'tmpl-task': 'accept' }])
})
