/* TEST STAND-IN for WPS 表格 — the one mock at this boundary (tests/test_wps_addin.py; DEVELOPERS.md).
 *
 * It implements only the members of the WPS object model that kexie_xl/addin/wpsjs/main.js uses, over plain
 * JavaScript data, the way Excel's object model behaves (1-based Sheets.Item, Value2 as rows of values, a range's
 * NumberFormat is null when its cells differ, AddComment fails on a cell that has a note, deleting a sheet needs
 * DisplayAlerts off). `standin.load(book)` puts a workbook in, `standin.dump()` gives everything back for the test.
 */
(function () {
  var NO_FILL = -4142;

  function columnNumber(letters) {
    var n = 0;
    for (var i = 0; i < letters.length; i++) n = n * 26 + letters.charCodeAt(i) - 64;
    return n;
  }

  function bounds(address) {
    var parts = address.replace(/\$/g, "").split(":").map(function (a) {
      var m = /^([A-Z]+)(\d+)$/.exec(a);
      if (!m) throw new Error("stand-in: address " + address);
      return { r: +m[2], c: columnNumber(m[1]) };
    });
    var end = parts[1] || parts[0];
    return { r1: parts[0].r, c1: parts[0].c, r2: end.r, c2: end.c };
  }

  function Range(sheet, b) {
    var self = this;
    function cells(create) {
      var out = [];
      for (var r = b.r1; r <= b.r2; r++) for (var c = b.c1; c <= b.c2; c++) out.push(sheet.cell(r, c, create));
      return out;
    }
    function one() {
      if (b.r1 !== b.r2 || b.c1 !== b.c2) throw new Error("stand-in: one cell expected");
      return sheet.cell(b.r1, b.c1, true);
    }
    Object.defineProperty(this, "Value2", {
      get: function () {
        var rows = [];
        for (var r = b.r1; r <= b.r2; r++) {
          var row = [];
          for (var c = b.c1; c <= b.c2; c++) row.push((sheet.cell(r, c, false) || {}).v);
          rows.push(row);
        }
        return rows.length === 1 && rows[0].length === 1 ? rows[0][0] : rows;
      },
      set: function (table) {
        for (var r = 0; r < table.length; r++) {
          for (var c = 0; c < table[r].length; c++) sheet.cell(b.r1 + r, b.c1 + c, true).v = table[r][c];
        }
      }
    });
    Object.defineProperty(this, "NumberFormat", {
      get: function () {
        var formats = cells(false).map(function (cell) { return (cell && cell.fmt) || "General"; });
        return formats.every(function (f) { return f === formats[0]; }) ? formats[0] : null;
      },
      set: function (format) { cells(true).forEach(function (cell) { cell.fmt = format; }); }
    });
    this.Interior = {};
    Object.defineProperty(this.Interior, "Color", {
      get: function () { var c = one(); return c.color === null || c.color === undefined ? 16777215 : c.color; },
      set: function (color) { cells(true).forEach(function (cell) { cell.color = color; }); }
    });
    Object.defineProperty(this.Interior, "ColorIndex", {
      get: function () { var c = one(); return c.color === null || c.color === undefined ? NO_FILL : 1; },
      set: function (index) {
        if (index !== NO_FILL) throw new Error("stand-in: only xlColorIndexNone");
        cells(true).forEach(function (cell) { cell.color = null; });
      }
    });
    Object.defineProperty(this, "Comment", {
      get: function () {
        var cell = sheet.cell(b.r1, b.c1, false);
        if (!cell || cell.comment === null || cell.comment === undefined) return null;
        return { Text: function () { return cell.comment; }, Delete: function () { cell.comment = null; } };
      }
    });
    this.AddComment = function (text) {
      var cell = one();
      if (cell.comment !== null && cell.comment !== undefined) throw new Error("AddComment: the cell has a note");
      cell.comment = text;
    };
    this.EntireColumn = {};
    Object.defineProperty(this.EntireColumn, "ColumnWidth", { set: function (w) { sheet.widths[b.c1] = w; } });
    this.Activate = function () { sheet.book.active = sheet.Name; };
    this._sheet = sheet;
    this._bounds = b;
    return self;
  }

  function Sheet(book, name, cells) {
    this.book = book;
    this.Name = name;
    this.store = cells || {};
    this.widths = {};
    this.links = [];
    var sheet = this;
    this.cell = function (r, c, create) {
      var key = r + "," + c;
      if (!sheet.store[key] && create) sheet.store[key] = { v: undefined, fmt: null, color: null, comment: null };
      return sheet.store[key] || null;
    };
    this.Range = function (address) { return new Range(sheet, bounds(address)); };
    Object.defineProperty(this, "UsedRange", {
      get: function () {
        var r1 = Infinity, c1 = Infinity, r2 = 1, c2 = 1;
        Object.keys(sheet.store).forEach(function (key) {
          var p = key.split(",").map(Number);
          r1 = Math.min(r1, p[0]); c1 = Math.min(c1, p[1]); r2 = Math.max(r2, p[0]); c2 = Math.max(c2, p[1]);
        });
        if (r1 === Infinity) { r1 = 1; c1 = 1; }
        return { Row: r1, Column: c1, Rows: { Count: r2 - r1 + 1 }, Columns: { Count: c2 - c1 + 1 } };
      }
    });
    this.Hyperlinks = {
      Add: function (anchor, address, subAddress, screenTip, text) {
        var b = anchor._bounds;
        sheet.links.push({ row: b.r1, col: b.c1, address: address, subAddress: subAddress, text: text });
      }
    };
    this.Delete = function () {
      if (book.app.DisplayAlerts) throw new Error("stand-in: WPS would ask before deleting a sheet");
      book.sheets.splice(book.sheets.indexOf(sheet), 1);
    };
    this.Activate = function () { book.active = sheet.Name; };
  }

  function Book(app, data) {
    var book = this;
    this.app = app;
    this.Name = data.name;
    this.Path = data.path;
    this.FullName = data.path ? data.path + "/" + data.name : data.name;
    this.sheets = data.sheets.map(function (s) { return new Sheet(book, s.name, s.cells); });
    this.copies = [];
    this.Sheets = {
      Item: function (which) {
        var found = typeof which === "number" ? book.sheets[which - 1]
          : book.sheets.filter(function (s) { return s.Name === which; })[0];
        if (!found) throw new Error("stand-in: no sheet " + which);
        return found;
      },
      Add: function (before, after) {
        var sheet = new Sheet(book, "Sheet" + (book.sheets.length + 1));
        book.sheets.splice(after ? book.sheets.indexOf(after) + 1 : 0, 0, sheet);
        book.active = sheet.Name;
        return sheet;
      }
    };
    Object.defineProperty(this.Sheets, "Count", { get: function () { return book.sheets.length; } });
    this.SaveCopyAs = function (path) { book.copies.push({ path: path, book: dumpBook(book) }); };
  }

  function dumpBook(book) {
    return {
      active: book.active,
      sheets: book.sheets.map(function (s) {
        return { name: s.Name, cells: JSON.parse(JSON.stringify(s.store)), widths: s.widths, links: s.links.slice() };
      })
    };
  }

  var storage = {};
  var app = { ActiveWorkbook: null, DisplayAlerts: true, ScreenUpdating: true };
  window.Application = app;
  window.wps = {
    EtApplication: function () { return app; },
    PluginStorage: {
      getItem: function (key) { return key in storage ? storage[key] : null; },
      setItem: function (key, value) { storage[key] = value; }
    },
    ShowDialog: function (url, title) { standin.dialogs.push({ url: url, title: title }); }
  };
  window.standin = {
    dialogs: [],
    load: function (data) { app.ActiveWorkbook = data ? new Book(app, data) : null; },
    dump: function () {
      var book = app.ActiveWorkbook;
      var out = dumpBook(book);
      out.copies = book.copies;
      out.alerts = app.DisplayAlerts;
      return out;
    }
  };
})();
