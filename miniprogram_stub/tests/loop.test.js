// Issue 19 (C): a category that needs an after-photo marks the photo required on the
// resolve panel and refuses to send without one; a follower of a case sees 补充线索 and
// adds what they know.
const { setup, render, text, all, settle } = require('./helpers/env')

function tap(page, selector) {
  page.querySelector(selector).dispatchEvent('tap')
  return settle(60)
}

function asWorker(env) {
  env.server.user = Object.assign({}, env.server.user, { id: 8, role: 'grid_worker', display_name: '李师傅', cells: [] })
}

async function open(env, name, id) {
  const page = render(env.simulate, name)
  await page.instance.onLoad({ id: String(id) })
  await settle()
  return page
}

test('an after-photo category: the photo is marked required and resolving waits for one', async () => {
  const env = setup()
  asWorker(env)
  const { server, phone } = env
  const task = server.addTask({ state: 'in_progress', requires_after_photo: true })
  const page = await open(env, 'task', task.id)
  await tap(page, '#open-resolve')
  expect(text(page, '.required-mark')).toBe('（必传）')
  page.instance.onNote({ detail: { value: '已盖好井盖' } })
  await settle()
  await tap(page, '#resolve')
  expect(text(page, '.photo-error')).toBe('该类事件需上传处置后照片')
  expect(server.requests('POST', `/tickets/${task.id}/resolve`)).toHaveLength(0)

  phone.state.media = ['wxfile://tmp/after.jpg']
  await page.querySelector('#photos').instance.add()
  await settle()
  await tap(page, '#resolve')
  const [resolve] = server.requests('POST', `/tickets/${task.id}/resolve`)
  expect(resolve.body.photo_ids).toEqual([501])
  expect(text(page, '.task-state')).toBe('已处置')
})

test('other categories: no required mark, a note alone resolves', async () => {
  const env = setup()
  asWorker(env)
  const task = env.server.addTask({ state: 'in_progress', requires_after_photo: false })
  const page = await open(env, 'task', task.id)
  await tap(page, '#open-resolve')
  expect(all(page, '.required-mark')).toHaveLength(0)
  page.instance.onNote({ detail: { value: '已更换灯泡' } })
  await settle()
  await tap(page, '#resolve')
  expect(env.server.requests('POST', `/tickets/${task.id}/resolve`)).toHaveLength(1)
})

// the public view a follower gets (no can_rate), with can_supplement from the API
function followedTicket(env, fields) {
  const ticket = env.server.addTicket({ state: 'dispatched' })
  delete ticket.can_rate
  delete ticket.version
  return Object.assign(ticket, fields)
}

test('a follower sees 补充线索 and adds a note', async () => {
  const env = setup()
  const ticket = followedTicket(env, { can_supplement: true })
  const page = await open(env, 'ticket', ticket.id)
  expect(text(page, '.supplement-title')).toBe('补充线索')
  await tap(page, '.supplement-title')
  page.instance.onSupplementNote({ detail: { value: '三楼也不亮' } })
  await page.instance.sendSupplement()
  await settle()
  const [sent] = env.server.requests('POST', `/tickets/${ticket.id}/supplements`)
  expect(sent.body).toEqual({ note: '三楼也不亮' })
})

test('someone who only sees the public case is not offered a supplement', async () => {
  const env = setup()
  const ticket = followedTicket(env, { can_supplement: false })
  const page = await open(env, 'ticket', ticket.id)
  expect(all(page, '.supplement-title')).toHaveLength(0)
})

test('the reporter keeps 补充说明', async () => {
  const env = setup()
  const ticket = env.server.addTicket({ state: 'dispatched' })
  const page = await open(env, 'ticket', ticket.id)
  expect(text(page, '.supplement-title')).toBe('补充说明')
})
