// 我的资料 (issue 19.5) and 社区三率 (issue 19.8) with a fake `wx` and a fake API:
// the name, WeChat's phone button (agreed, refused, a spent code), the typed fallback with
// its consent box and the server's consent text, removing the phone after a confirmation;
// the public page without any login, its 30/90 switch and "—" for nothing to count.
const { setup, render, text, all, settle } = require('./helpers/env')

function tap(page, selector) {
  page.querySelector(selector).dispatchEvent('tap')
  return settle(60)
}

async function profilePage(env) {
  const page = render(env.simulate, 'profile', 'pages/profile/profile')
  await page.instance.onLoad({})
  await settle()
  return page
}

test('the 我的 tab leads to 我的资料 and 社区三率', async () => {
  const env = setup()
  const me = render(env.simulate, 'me')
  await me.instance.onLoad({})
  await settle()
  expect(text(me, '.profile-link')).toBe('我的资料')
  expect(text(me, '.performance-link')).toBe('社区三率')
  await tap(me, '.profile-link')
  await tap(me, '.performance-link')
  expect(env.phone.callsOf('navigateTo').map((o) => o.url))
    .toEqual(['/pages/profile/profile', '/pages/performance/performance'])
})

test('the consent text is the server\'s; the name is saved', async () => {
  const env = setup()
  const page = await profilePage(env)
  expect(text(page, '.consent-title')).toBe('手机号使用说明')
  expect(text(page, '.consent-body')).toBe(env.server.consent.text)
  expect(text(page, '#wechat-phone')).toBe('微信手机号快捷填写')
  expect(text(page, '#show-manual')).toBe('手动输入手机号')
  expect(text(page, '.phone-none')).toContain('未填写')
  expect(page.data.name).toBe('王阿姨')

  page.instance.onName({ detail: { value: '  ' } })
  await page.instance.saveName()
  await settle()
  expect(text(page, '.name-error')).toBe('请输入 1–20 个字的昵称')
  expect(env.server.requests('PATCH', '/me/profile')).toHaveLength(0)

  page.instance.onName({ detail: { value: '晋阳王阿姨' } })
  await page.instance.saveName()
  await settle()
  expect(env.server.requests('PATCH', '/me/profile').pop().body).toEqual({ display_name: '晋阳王阿姨' })
  expect(env.server.user.display_name).toBe('晋阳王阿姨')
  expect(env.phone.callsOf('showToast').pop().title).toBe('昵称已保存')
})

test('WeChat\'s phone button: the code goes to the server with consent and its version', async () => {
  const env = setup()
  const page = await profilePage(env)
  const code = env.server.issuePhoneCode('13800138000')
  page.querySelector('#wechat-phone').dispatchEvent('getphonenumber', { detail: { errMsg: 'getPhoneNumber:ok', code } })
  await settle(60)
  expect(env.server.requests('POST', '/me/phone').pop().body)
    .toEqual({ code, consent: true, consent_version: '2026-12-1' })
  expect(text(page, '.phone-number')).toBe('13800138000')
  expect(text(page, '.phone-source')).toContain('微信授权')
  // the same code a second time: the server's message on the field
  page.instance.onPhoneNumber({ detail: { code } })
  await settle()
  expect(text(page, '.code-error')).toContain('重新点击')
})

test('refusing WeChat\'s button opens the typed fallback, which needs the consent box', async () => {
  const env = setup()
  const page = await profilePage(env)
  await page.instance.onPhoneNumber({ detail: { errMsg: 'getPhoneNumber:fail user deny' } })
  await settle()
  expect(text(page, '.denied')).toBe('您没有授权微信手机号，可以手动输入。')
  expect(env.server.requests('POST', '/me/phone')).toHaveLength(0)
  expect(page.querySelector('#typed-phone')).toBeDefined()

  page.instance.onTyped({ detail: { value: '123' } })
  await page.instance.saveTyped()
  await settle()
  expect(text(page, '.phone-error')).toBe('请输入有效的手机号')
  page.instance.onTyped({ detail: { value: '13900001111' } })
  await page.instance.saveTyped()
  await settle()
  expect(text(page, '.consent-error')).toBe('请先勾选同意手机号使用说明')
  expect(env.server.requests('POST', '/me/phone')).toHaveLength(0)

  page.instance.onAgree({ detail: { value: ['yes'] } })
  await page.instance.saveTyped()
  await settle()
  expect(env.server.requests('POST', '/me/phone').pop().body)
    .toEqual({ phone: '13900001111', consent: true, consent_version: '2026-12-1' })
  expect(text(page, '.phone-number')).toBe('13900001111')
  expect(text(page, '.phone-source')).toContain('手动输入')
})

test('a consent text changed on the server is shown with its message', async () => {
  const env = setup()
  const page = await profilePage(env)
  env.server.consent = Object.assign({}, env.server.consent, { version: '2027-01-1' })
  page.instance.showManual()
  page.instance.onTyped({ detail: { value: '13900001111' } })
  page.instance.onAgree({ detail: { value: ['yes'] } })
  await page.instance.saveTyped()
  await settle()
  expect(page.data.fieldErrors.consent_version).toContain('已更新')
  expect(env.server.user.phone).toBeUndefined()
})

test('删除手机号 asks first, then removes the number', async () => {
  const env = setup()
  env.server.user = Object.assign({}, env.server.user, { phone: '13800138000', phone_source: 'typed', phone_consent_at: '2026-12-01T02:00:00+00:00' })
  const page = await profilePage(env)
  expect(text(page, '.phone-number')).toBe('13800138000')
  env.phone.state.modalConfirm = false
  await page.instance.removePhone()
  await settle()
  expect(env.phone.callsOf('showModal').pop().content).toContain('确定删除')
  expect(env.server.requests('DELETE', '/me/phone')).toHaveLength(0)
  env.phone.state.modalConfirm = true
  await page.instance.removePhone()
  await settle()
  expect(env.server.requests('DELETE', '/me/phone')).toHaveLength(1)
  expect(page.querySelector('.phone-number')).toBeUndefined()
  expect(text(page, '.phone-none')).toContain('未填写')
  expect(env.server.user.phone).toBeNull()
})

test('a grid worker sees that their details are kept by the community', async () => {
  const env = setup()
  env.server.user = Object.assign({}, env.server.user, { role: 'grid_worker' })
  const page = await profilePage(env)
  expect(text(page, '.residents-only')).toContain('由社区维护')
  expect(page.querySelector('#wechat-phone')).toBeUndefined()
})

test('社区三率: public, no login; the rates, "—" for nothing to count, and 30/90', async () => {
  const env = setup()
  const page = render(env.simulate, 'performance', 'pages/performance/performance')
  await page.instance.onLoad({})
  await settle()
  expect(env.server.requests('POST', '/auth/wechat')).toHaveLength(0)
  const asked = env.server.requests('GET', '/public/communities/performance')
  expect(asked).toHaveLength(1)
  expect(asked[0].header.authorization).toBeUndefined()
  expect(asked[0].query.days).toBe('30')
  const cards = all(page, '.community')
  expect(cards).toHaveLength(2)
  expect(text(page, '.community-name')).toBe('晋阳社区')
  expect(text(page, '.community .response_rate')).toBe('66.7%及时响应率 · 2/3')
  expect(text(page, '.community .resolution_rate')).toBe('50.0%按时办结率 · 1/2')
  expect(text(page, '.community .satisfaction_rate')).toBe('100.0%满意率 · 2/2')
  expect(text(page, '.community .overdue')).toBe('2超期')
  expect(page.data.rows[1].rates.map((r) => r.value)).toEqual(['—', '—', '—'])
  expect(text(page, '.period')).toBe('2026-11-07 至 2026-12-06')
  expect(text(page, '.days-30')).toBe('近 30 天')

  await tap(page, '.days-90')
  expect(env.server.requests('GET', '/public/communities/performance').pop().query.days).toBe('90')
  expect(text(page, '.community .response_rate')).toBe('75.0%及时响应率 · 3/4')
  expect(page.data.days).toBe(90)
  expect(page.data.error).toBe('')
})
