/* kexie_xl WPS 加载项: the 科技志愿服务 buttons in WPS 表格.
 *
 * Each button reads the open workbook's values through the WPS object model, sends them to the check API of
 * kexie-xl serve (POST /api/grid-check, docs/check-api.md) and applies the marks it returns, exactly as the Excel
 * ribbon does (kexie_xl/xl/live.py): fills and notes on cells, the 校验结果 and 季度达标 sheets, and the restore
 * records that let the next run undo this one. No build step, no library: ES5 for WPS's older embedded Chromium,
 * and ribbon callbacks that are not `async` (some WPS 12.1 builds break custom ribbons with async callbacks).
 */

var kexie = { busy: false, messages: [] };

var SERVICE_KEY = "kexie_xl.service";
var DEFAULT_SERVICE = "http://127.0.0.1:8023";
var NO_FILL = -4142; // xlColorIndexNone
var INSTRUCTIONS = "填报说明";

// Ribbon callbacks (ribbon.xml)

function OnAddinLoad(ribbonUI) {
  window.ribbonUI = ribbonUI;
  return true;
}

function OnAction(control) {
  var action = BUTTONS[get(control, "Id")];
  if (!action) {
    say("这个按钮没有对应的功能，请重新安装加载项（kexie-xl addin build --wps）。");
  } else if (kexie.busy) {
    say("上一次操作还没有完成，请稍候。");
  } else {
    try {
      action(); // the checking buttons end in send()'s callback, which clears `busy`
    } catch (e) {
      finish("操作没有完成：" + (e && e.message ? e.message : e));
    }
  }
  return true;
}

var BUTTONS = {
  kx_validate: function () { check("check"); },
  kx_quarterly: function () { check("quarterly"); },
  kx_submit: submit,
  kx_instructions: instructions,
  kx_settings: settings
};

// The buttons

function check(mode) {
  var book = activeBook();
  if (!book) return;
  send(book, mode, function (result) {
    if (!readable(result)) return;
    replaceMarks(book, result);
    var report = result.report;
    if (mode === "quarterly") {
      say("季度达标：未达标 " + count(result.quarters, "未达标") + " 个队·季度，待开展 " +
          count(result.quarters, "待开展") + " 个队·季度。详见「季度达标」表。");
    } else {
      say("校验完成：错误 " + report.errors + " 处，警告 " + report.warnings + " 处。" +
          (result.ok ? "没有错误，可以生成报送件。" : "请按「校验结果」表修改标红的单元格后重新校验。"));
    }
  });
}

function submit() {
  var book = activeBook();
  if (!book) return;
  var folder = get(book, "Path");
  var full = get(book, "FullName");
  if (!folder) return say("请先把本工作簿保存到电脑上（文件 → 另存为），再点这个按钮。");
  var suffix = (/\.[^.\\\/]*$/.exec(get(book, "Name")) || [""])[0].toLowerCase();
  if (suffix !== ".xlsx" && suffix !== ".xlsm") {
    return say("本工作簿是 " + (suffix || "未知") + " 格式：请先「文件 → 另存为」Excel 工作簿（*.xlsx），再生成报送件。");
  }
  send(book, "check", function (result) {
    if (!readable(result)) return;
    if (!result.ok) {
      return say("还有 " + result.report.errors + " 处错误，不能生成报送件。请先点「校验本表」并按「校验结果」修改。");
    }
    var target = folder + (full.indexOf("\\") >= 0 ? "\\" : "/") + result.submission_name;
    if (target === full) return say("报送件不能与本工作簿同名：请把本工作簿另存为其他名字后再生成。");
    quietly(function () {
      clearMarks(book, result.clear, result);  // the copy gets no mark, note or tool sheet of kexie_xl …
      book.SaveCopyAs(target);                 // … and the open book stays as it is on disk
      applyMarks(book, result.marks, result);  // then this check's marks are back in the open book
    });
    say("已生成报送件：" + target + "\n请把它作为邮件附件，于每月 " + result.deadline_day + " 日前报送。");
  });
}

function instructions() {
  var book = activeBook();
  if (!book) return;
  var sheet = findSheet(book, INSTRUCTIONS);
  if (sheet) sheet.Activate();
  else say("本工作簿没有「填报说明」工作表；可在校验页面下载标准模板。");
}

function settings() {
  var url = location.href.replace(/[^\/]*([?#].*)?$/, "settings.html");
  if (window.wps && wps.ShowDialog) wps.ShowDialog(url, "设置", 460 * (window.devicePixelRatio || 1), 260 * (window.devicePixelRatio || 1), false);
  else window.open(url);
}

// The service

function serviceUrl() {
  var saved = load(SERVICE_KEY);
  if (saved) return saved.replace(/\/+$/, "");
  var built = (window.KEXIE_XL_DEFAULTS || {}).service;
  if (built) return built.replace(/\/+$/, "");
  if (/^https?:$/.test(location.protocol)) return location.protocol + "//" + location.host; // served by kexie-xl serve
  return DEFAULT_SERVICE;
}

function send(book, mode, then) {
  var payload = { name: get(book, "Name"), mode: mode, sheets: readBook(book) };
  var base = serviceUrl();
  var xhr = new XMLHttpRequest();
  kexie.busy = true;
  xhr.open("POST", base + "/api/grid-check");
  xhr.setRequestHeader("Content-Type", "application/json");
  xhr.timeout = 300000;
  xhr.onload = function () {
    var body = null;
    try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
    if (xhr.status === 200 && body) guarded(function () { then(body); })();
    else finish("校验服务没有完成：" + (body && body.error ? body.error : "HTTP " + xhr.status));
  };
  xhr.onerror = xhr.ontimeout = function () {
    finish("连不上校验服务 " + base + "：请确认 kexie-xl serve 已在运行，或点「设置」修改地址。");
  };
  xhr.send(JSON.stringify(payload));
}

function readable(result) {
  if (result.report.readable) return true;
  say(result.report.findings[0].message + "。请先打开本单位的月报工作簿，再点功能区按钮。");
  return false;
}

// Reading the workbook: the used range from A1 of every sheet, one Value2 read per sheet

function readBook(book) {
  var sheets = {};
  var all = get(book, "Sheets");
  for (var i = 1; i <= get(all, "Count"); i++) {
    var sheet = all.Item(i);
    sheets[get(sheet, "Name")] = readSheet(sheet);
  }
  return sheets;
}

function readSheet(sheet) {
  var used = get(sheet, "UsedRange");
  var rows = get(used, "Row") + get(get(used, "Rows"), "Count") - 1;
  var cols = get(used, "Column") + get(get(used, "Columns"), "Count") - 1;
  var values = table(get(sheet.Range("A1:" + address(rows, cols)), "Value2"), rows, cols);
  markDates(sheet, values);
  while (values.length && values[values.length - 1].every(empty)) values.pop();
  return values;
}

function table(value, rows, cols) {
  if (!isArray(value)) return [[value]];             // a one-cell range gives the value itself
  var out = [];
  for (var r = 0; r < value.length; r++) {
    out.push(isArray(value[r]) ? Array.prototype.slice.call(value[r], 0, cols) : [value[r]]);
  }
  return rows === 1 && out.length > 1 && cols > 1 ? [Array.prototype.slice.call(value, 0, cols)] : out;
}

// Value2 gives a date as its serial number; the number format tells a date from a number. One format read per
// column (the rows under the header), and one per number cell only in columns whose cells are formatted differently.
function markDates(sheet, values) {
  var rows = values.length;
  var cols = rows ? values[0].length : 0;
  for (var c = 1; c <= cols; c++) {
    var column = rows > 1 ? get(sheet.Range(address(2, c) + ":" + address(rows, c)), "NumberFormat") : null;
    for (var r = 1; r <= rows; r++) {
      var v = values[r - 1][c - 1];
      if (typeof v !== "number") continue;
      var format = r > 1 && typeof column === "string" ? column : get(sheet.Range(address(r, c)), "NumberFormat");
      if (isDateFormat(format)) values[r - 1][c - 1] = { date: v };
    }
  }
}

function isDateFormat(format) {
  if (typeof format !== "string") return false;
  var bare = format.replace(/"[^"]*"|\\.|\[[^\]]*\]/g, "").split(";")[0];
  return /[ymd]/i.test(bare) && !/^general$/i.test(bare);
}

// Marks: undo the earlier run, then the tool sheets (the first keeps the restore records), fills and notes

function replaceMarks(book, result) {
  quietly(function () {
    clearMarks(book, result.clear, result);
    var written = [];
    try {
      applyMarks(book, result.marks, result, written);
    } catch (e) {
      clearMarks(book, written, result); // never a half-marked workbook
      throw e;
    }
  });
}

function clearMarks(book, restores, result) {
  for (var i = 0; i < restores.length; i++) {
    var r = restores[i];
    if (!findSheet(book, r.sheet)) continue;
    var cell = book.Sheets.Item(r.sheet).Range(r.cell);
    setFill(cell, r.fill);
    var note = get(cell, "Comment");
    if (note && isOurs(note.Text(), result)) note.Delete();
  }
  for (var t = 0; t < result.tool_sheets.length; t++) {
    var sheet = findSheet(book, result.tool_sheets[t]);
    if (sheet) sheet.Delete();
  }
}

function applyMarks(book, marks, result, written) {
  var restore = [];
  written = written || [];
  marks.cells.forEach(function (m) {
    var fill = fillOf(book.Sheets.Item(m.sheet).Range(m.cell));
    restore.push(restoreRecord(m.sheet, m.cell, fill));
    written.push({ sheet: m.sheet, cell: m.cell, fill: fill || null });
  });
  marks.sheets.forEach(function (tool, n) { addToolSheet(book, tool, n === 0 ? restore : []); });
  marks.cells.forEach(function (m) {
    var cell = book.Sheets.Item(m.sheet).Range(m.cell);
    setFill(cell, m.fill);
    setNote(cell, m.note, result);
  });
}

// The one restore format of kexie_xl/write/marks.py (Restore), as the Excel ribbon writes it: the fill only.
function restoreRecord(sheet, cell, fill) {
  return "kexie-restore:" + sheet + "!" + cell + "=fill:" + (fill || "none");
}

function addToolSheet(book, tool, restore) {
  var rows = tool.lines.map(function (line) { return [line]; }).concat([[]], [tool.header], tool.rows);
  var width = columnNumber(tool.restore_column) - 1;
  var cells = [];
  for (var i = 0; i < Math.max(rows.length, restore.length); i++) {
    var row = (rows[i] || []).slice();
    while (row.length < width) row.push("");
    row.push(i < restore.length ? restore[i] : "");
    cells.push(row);
  }
  var all = get(book, "Sheets");
  var sheet = all.Add(undefined, all.Item(get(all, "Count")));
  sheet.Name = tool.name;
  var range = sheet.Range("A1:" + address(cells.length, width + 1));
  range.NumberFormat = "@"; // text stays text: 「2026-11-05」 is not re-read as a date, 「=…」 not as a formula
  range.Value2 = cells;
  tool.fills.forEach(function (f) { setFill(sheet.Range(f.cell), f.fill); });
  tool.links.forEach(function (l) {
    var target = "'" + l.sheet.replace(/'/g, "''") + "'!" + l.target;
    sheet.Hyperlinks.Add(sheet.Range(l.cell), "", target, "", l.target);
  });
  tool.widths.forEach(function (w, c) { get(sheet.Range(address(1, c + 1)), "EntireColumn").ColumnWidth = w; });
  get(sheet.Range(tool.restore_column + "1"), "EntireColumn").ColumnWidth = 0; // the restore column stays out of sight
}

function setNote(cell, text, result) {
  var note = get(cell, "Comment");
  if (!note) cell.AddComment(text);
  else if (isOurs(note.Text(), result)) { note.Delete(); cell.AddComment(text); }
  // a clerk's own note is never touched: the fill and 校验结果 still point at the cell
}

function isOurs(text, result) {
  return typeof text === "string" && text.indexOf(result.note_prefix) === 0;
}

function fillOf(cell) {
  var interior = get(cell, "Interior");
  if (get(interior, "ColorIndex") === NO_FILL) return "";
  var bgr = get(interior, "Color");
  return hex2(bgr & 255) + hex2((bgr >> 8) & 255) + hex2((bgr >> 16) & 255);
}

function setFill(cell, argb) {
  var interior = get(cell, "Interior");
  if (!argb) { interior.ColorIndex = NO_FILL; return; }
  var rgb = argb.slice(-6);
  interior.Color = parseInt(rgb.slice(0, 2), 16) + parseInt(rgb.slice(2, 4), 16) * 256 + parseInt(rgb.slice(4, 6), 16) * 65536;
}

// Small helpers

function application() {
  return window.wps && wps.EtApplication ? wps.EtApplication() : window.Application;
}

function activeBook() {
  var book = get(application(), "ActiveWorkbook");
  if (!book) say("请先打开要校验的月报工作簿。");
  return book;
}

function findSheet(book, name) {
  var all = get(book, "Sheets");
  for (var i = 1; i <= get(all, "Count"); i++) {
    if (get(all.Item(i), "Name") === name) return all.Item(i);
  }
  return null;
}

// Some WPS builds give members as properties, others as methods without arguments.
function get(obj, name) {
  var value = obj[name];
  return typeof value === "function" ? value.call(obj) : value;
}

function quietly(work) {
  var app = application();
  var alerts = app.DisplayAlerts;
  var screen = app.ScreenUpdating;
  app.DisplayAlerts = false; // deleting a sheet asks nothing
  app.ScreenUpdating = false;
  try { work(); } finally { app.DisplayAlerts = alerts; app.ScreenUpdating = screen; }
}

function guarded(work) {
  return function () {
    try { work(); finish(); } catch (e) { finish("操作没有完成：" + (e && e.message ? e.message : e)); }
  };
}

function finish(message) {
  kexie.busy = false;
  if (message) say(message);
}

function say(text) {
  kexie.messages.push(text);
  alert(text);
}

function load(key) {
  var value = null;
  try { value = window.localStorage.getItem(key); } catch (e) { value = null; }
  if (!value && window.wps && wps.PluginStorage) value = wps.PluginStorage.getItem(key);
  return value || "";
}

function store(key, value) {
  try { window.localStorage.setItem(key, value); } catch (e) { /* no localStorage: PluginStorage only */ }
  if (window.wps && wps.PluginStorage) wps.PluginStorage.setItem(key, value);
}

function count(quarters, status) {
  return quarters.filter(function (q) { return q.status === status; }).length;
}

function address(row, col) {
  var letters = "";
  for (var n = col; n > 0; n = Math.floor((n - 1) / 26)) letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return letters + row;
}

function columnNumber(letters) {
  var n = 0;
  for (var i = 0; i < letters.length; i++) n = n * 26 + letters.charCodeAt(i) - 64;
  return n;
}

function hex2(n) {
  return (n < 16 ? "0" : "") + n.toString(16).toUpperCase();
}

function empty(v) {
  return v === null || v === undefined || v === "";
}

function isArray(v) {
  return Object.prototype.toString.call(v) === "[object Array]" || (v && typeof v === "object" && typeof v.length === "number");
}
