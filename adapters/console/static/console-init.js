// The NHS design system's components (error summary focus, header menu), on the page and on
// whatever htmx swaps in later.
import { initAll } from './nhsuk/nhsuk.min.js'

initAll({ onError () {} })
document.body.addEventListener('htmx:afterSettle', (event) => initAll({ scope: event.target, onError () {} }))
