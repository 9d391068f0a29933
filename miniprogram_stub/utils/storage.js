// Local storage with one prefix, never throwing: a full or broken storage must not stop a
// report from being sent (it only loses the offline copy).
const PREFIX = 'linli.'

function get(key, fallback = null) {
  try {
    const value = wx.getStorageSync(PREFIX + key)
    return value === '' || value === undefined || value === null ? fallback : value
  } catch (e) {
    return fallback
  }
}

function set(key, value) {
  try {
    wx.setStorageSync(PREFIX + key, value)
    return true
  } catch (e) {
    return false
  }
}

function remove(key) {
  try {
    wx.removeStorageSync(PREFIX + key)
  } catch (e) {
    // nothing to do
  }
}

module.exports = { get, set, remove, PREFIX }
