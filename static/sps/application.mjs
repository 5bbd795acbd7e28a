import { initAll } from '../govuk-frontend.min.js'

initAll()

// "Change" on a check-answers page opens the form at the question being changed (the address's
// fragment names its box). Put the cursor in that box too, so a keyboard user starts there.
const changing = window.location.hash && document.getElementById(decodeURIComponent(window.location.hash.slice(1)))
if (changing && changing.matches('input, textarea, select')) {
  changing.focus()
}
