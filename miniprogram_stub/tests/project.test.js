// The project as WeChat DevTools opens it: app.json (pages, tab bar, location permission),
// project.config.json, sitemap.json, every page's four files, and WXML/WXSS compiled by
// Tencent's own compilers (miniprogram-compiler's wcc and wcsc, run offline).
const fs = require('fs')
const os = require('os')
const path = require('path')
// the compiler itself, not the per-file cache the other tests use (see jest.config.js)
const { wxmlToJs, wxssToJs } = require('../node_modules/miniprogram-compiler/index.js')
const { ROOT } = require('./helpers/env')

const readJson = (p) => JSON.parse(fs.readFileSync(path.join(ROOT, p), 'utf8'))
const app = readJson('app.json')
const exists = (p) => fs.existsSync(path.join(ROOT, p))

test('app.json: pages, a tab bar of 2–5 items, and the location permission', () => {
  expect(app.pages[0]).toBe('pages/home/home')
  expect(app.tabBar.list.length).toBeGreaterThanOrEqual(2)
  expect(app.tabBar.list.length).toBeLessThanOrEqual(5)
  app.tabBar.list.forEach((tab) => expect(app.pages).toContain(tab.pagePath))
  expect(app.tabBar.custom).toBe(true)
  expect(exists('custom-tab-bar/index.js')).toBe(true)
  expect(app.requiredPrivateInfos).toEqual(['getLocation', 'chooseLocation'])
  expect(app.permission['scope.userLocation'].desc.length).toBeGreaterThan(4)
  expect(app.sitemapLocation).toBe('sitemap.json')
})

// A PNG's width and height, from its IHDR chunk.
function pngSize(p) {
  const bytes = fs.readFileSync(path.join(ROOT, p))
  expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG')
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)]
}

test('every tab has its icon and its selected icon: PNG files of 81 x 81 px', () => {
  const tabbar = require('../utils/tabbar')
  app.tabBar.list.forEach((tab) => {
    expect(pngSize(tab.iconPath)).toEqual([81, 81])
    expect(pngSize(tab.selectedIconPath)).toEqual([81, 81])
    expect(tab.iconPath).not.toBe(tab.selectedIconPath)
  })
  // the custom tab bar shows the same files
  Object.values(tabbar.TABS).forEach((tab) => {
    const listed = app.tabBar.list.find((t) => `/${t.pagePath}` === tab.url)
    expect(tab.icon).toBe(`/${listed.iconPath}`)
    expect(tab.iconOn).toBe(`/${listed.selectedIconPath}`)
  })
})

test('the pages the notifications open exist', () => {
  // backend/tickets/notices.py and backend/bookings/notices.py name these
  expect(app.pages).toEqual(expect.arrayContaining([
    'pages/ticket/ticket', 'pages/task/task', 'pages/bookings/detail', 'pages/bookings/index',
  ]))
})

test.each(app.pages)('%s has its .js .json .wxml .wxss, and is a Component', (page) => {
  ;['js', 'json', 'wxml', 'wxss'].forEach((ext) => expect(exists(`${page}.${ext}`)).toBe(true))
  const json = readJson(`${page}.json`)
  expect(json.usingComponents).toBeDefined() // pages built with Component() need it
  Object.values(json.usingComponents).forEach((c) => expect(exists(`${c.replace(/^\//, '')}.js`)).toBe(true))
  expect(fs.readFileSync(path.join(ROOT, `${page}.js`), 'utf8')).toMatch(/\bComponent\(\{/)
})

test('project.config.json and sitemap.json', () => {
  const project = readJson('project.config.json')
  expect(project.compileType).toBe('miniprogram')
  expect(project.appid).toBe('touristappid')
  expect(project.packOptions.ignore.map((i) => i.value)).toEqual(expect.arrayContaining(['node_modules', 'tests', 'tools']))
  expect(readJson('sitemap.json').rules).toEqual([{ action: 'disallow', page: '*' }])
})

test('every WXML file compiles with wcc, every WXSS file with wcsc', () => {
  const wxml = wxmlToJs(ROOT, { maxBuffer: 16 * 1024 * 1024 })
  const gwx = new Function(wxml)() // eslint-disable-line no-new-func
  app.pages.concat(['custom-tab-bar/index', 'components/photo-picker/photo-picker', 'components/timeline/timeline'])
    .forEach((p) => expect(typeof gwx(`${p}.wxml`)).toBe('function'))
  const wxss = wxssToJs(ROOT, { maxBuffer: 16 * 1024 * 1024 })
  expect(wxss).toContain('wxssMap')
})

test('the WXML check does catch a broken template', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wxml-'))
  fs.mkdirSync(path.join(dir, 'pages'))
  fs.writeFileSync(path.join(dir, 'pages/bad.wxml'), '<view><text>{{t.x}}</view>\n')
  expect(() => wxmlToJs(dir)).toThrow(/expect end-tag `text`/)
})

test('no page calls Page() or getApp(), which the simulator lacks', () => {
  app.pages.forEach((page) => {
    const js = fs.readFileSync(path.join(ROOT, `${page}.js`), 'utf8')
    expect(js).not.toMatch(/\bPage\(|\bgetApp\(/)
  })
})
