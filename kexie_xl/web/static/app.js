// kexie-xl serve: drop a workbook on the check page; follow the office's background action. No framework.
"use strict";

function setUpCheckForm() {
  var form = document.getElementById("check-form");
  if (!form) return;
  var input = document.getElementById("file");
  var zone = document.getElementById("zone");
  var busy = document.getElementById("busy");
  function submit() {
    if (!input.files || !input.files.length) return;
    busy.hidden = false;
    document.getElementById("check-button").disabled = true;
    zone.querySelector(".zone-big").textContent = input.files[0].name;
    form.submit();
  }
  input.addEventListener("change", submit);
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () { zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      submit();
    }
  });
}

function followJob() {
  var box = document.getElementById("job");
  if (!box || box.getAttribute("data-running") !== "1") return;
  var bar = document.getElementById("job-progress");
  var step = document.getElementById("job-step");
  function poll() {
    fetch("/office/job", { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (state) {
        bar.max = state.total || 1;
        bar.value = state.done;
        step.textContent = state.total ? state.done + "/" + state.total + " " + state.current : "正在准备… " + state.seconds + " 秒";
        if (state.running) { setTimeout(poll, 1000); } else { window.location.reload(); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
}

document.addEventListener("DOMContentLoaded", function () {
  setUpCheckForm();
  followJob();
});
