// Photos of a submission that waits for signal must outlive the temporary files
// wx.chooseMedia gave (those may be gone after the mini-program is closed).
function fs() {
  try {
    return typeof wx.getFileSystemManager === 'function' ? wx.getFileSystemManager() : null
  } catch (e) {
    return null
  }
}

// A kept copy's path, or the same path when it cannot be kept (it may still work).
function keep(tempPath) {
  const manager = fs()
  if (!manager || typeof manager.saveFileSync !== 'function' || !/^(wxfile|http)/.test(tempPath)) {
    return { path: tempPath, kept: false }
  }
  try {
    return { path: manager.saveFileSync(tempPath), kept: true }
  } catch (e) {
    return { path: tempPath, kept: false }
  }
}

function discard(savedPath) {
  const manager = fs()
  if (!manager || typeof manager.removeSavedFile !== 'function') return
  try {
    manager.removeSavedFile({ filePath: savedPath, fail() {} })
  } catch (e) {
    // already gone
  }
}

module.exports = { keep, discard }
