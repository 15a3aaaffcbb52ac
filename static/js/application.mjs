// GOV.UK Frontend is an ES module; initialise every component on the page.
import { initAll } from "../build/govuk-frontend.min.js";

initAll();
