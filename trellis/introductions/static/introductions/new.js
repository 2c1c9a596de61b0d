// The new introduction form: show the participant's fields or the outside person's,
// as "To whom" says. Without JavaScript both show and the server picks by the choice.
(function () {
  "use strict";
  var form = document.querySelector("[data-introduction-form]");
  if (!form) {
    return;
  }
  var participant = form.querySelector("[data-participant-fields]");
  var outside = form.querySelector("[data-outside-fields]");
  var choices = form.querySelectorAll("input[name='who']");

  function update() {
    var checked = form.querySelector("input[name='who']:checked");
    var isOutside = checked !== null && checked.value === "outside";
    participant.hidden = isOutside;
    outside.hidden = !isOutside;
  }

  choices.forEach(function (choice) {
    choice.addEventListener("change", update);
  });
  update();
})();
