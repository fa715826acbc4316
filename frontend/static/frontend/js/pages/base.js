// Pages with no script of their own (not found).
import '../common.js';
