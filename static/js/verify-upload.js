// Drag-and-drop on the verification form: a dropped PDF fills the file input and is sent.
// Without JavaScript the plain file input and button do the same.
(function () {
  "use strict";
  document.querySelectorAll("[data-verify-upload]").forEach(function (form) {
    var zone = form.querySelector("[data-dropzone]");
    var input = form.querySelector("input[type=file]");
    if (!zone || !input) return;
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("dropzone-active");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("dropzone-active"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      input.files = event.dataTransfer.files;
      form.requestSubmit ? form.requestSubmit() : form.submit();
    });
  });
})();
