// Print buttons: any element with data-print opens the browser's print dialog (the CSP forbids inline handlers).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
