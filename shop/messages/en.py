"""The English catalogue: every sentence the actions say, word for word as the shop said it
before it spoke Chinese (tests and the e2e conversations compare them).

Keys are ``topic.what``; ``fmt.*`` are separators and layouts; ``*.one`` / ``*.other`` are the
two forms :func:`shop.messages.plural` picks from. A template's leading space belongs to it
(" Only a few left!" follows another sentence).
"""

# ruff: noqa: E501  (sentences are data: a line holds one, wrapped where it reads well)

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # -- layout --------------------------------------------------------------------------
    "fmt.sentence": " ",
    "fmt.list": "; ",
    "fmt.comma": ", ",
    "fmt.space": " ",
    "fmt.and": " and ",
    "fmt.with_variant": "{name} ({variant})",
    "fmt.quantity_name": "{quantity} × {name}",
    "fmt.numbered": "{n}. {item}",
    # -- counts --------------------------------------------------------------------------
    "minutes.one": "{n} minute",
    "minutes.other": "{n} minutes",
    "times.one": "once",
    "times.other": "{n} times",
    "more_items.one": "{n} more item",
    "more_items.other": "{n} more items",
    "day.unknown": "unknown",
    # -- buttons -------------------------------------------------------------------------
    "button.handoff": "Talk to a person",
    "button.yes": "Yes",
    "button.no": "No",
    "button.cancel_order": "Cancel this order",
    "button.return_item": "Return an item",
    "button.other_orders": "My other orders",
    "button.all_items": "All of them",
    "button.start_return_yes": "Yes, start the return",
    "button.start_return": "Start a return",
    "button.cart": "What's in my cart?",
    "button.deals": "Current deals",
    # -- identity (the same words whether or not the order exists) -----------------------
    "identity.locked_prefix": "For your security I've paused order lookups",
    "identity.locked": "For your security I've paused order lookups for a while after several unsuccessful "
    "attempts. Please try again in about {when}, or a person from our team can help you right away.",
    "identity.unavailable_prefix": "Sorry, I can't check that right now.",
    "identity.unavailable": "Sorry, I can't check that right now. Please try again in a few minutes, "
    "or a person from our team can help you.",
    "identity.rate_limited_prefix": "That's a lot of order lookups in a short time",
    "identity.rate_limited": "That's a lot of order lookups in a short time, so I've paused them for a minute. "
    "Please try again shortly, or a person from our team can help.",
    "identity.need_proof": "I need the order number and the email on the order before I can help with it.",
    "identity.no_match": "I couldn't find an order with that number and email. Please check both and try again.",
    "identity.one_more_try": " You have one more try before lookups pause for a while.",
    # -- orders --------------------------------------------------------------------------
    "order.status.pending": "received and waiting for payment confirmation",
    "order.status.processing": "being prepared in our warehouse",
    "order.status.shipped": "on its way",
    "order.status.delivered": "delivered",
    "order.status.cancelled": "cancelled",
    "order.status.returned": "returned",
    "order.line": "{quantity} × {name} at {price}",
    "order.headline": "Order #{order} from {day} is {status}.",
    "order.items": "Items: {items}.",
    "order.total": "Total: {total}.",
    "order.anything_else": "Anything else about this order?",
    "tracking.carrier": "Carrier: {carrier}, tracking number {number}.",
    "tracking.scan_place": " in {place}",
    "tracking.last_scan": "Last scan: {scan}{where} on {day}.",
    "tracking.delivered": "Delivered on {day}.",
    "tracking.expected": "Expected delivery: {day}.",
    "orders.row": "#{order} · {day} · {status} · {count} item(s) · {total}",
    "orders.none": "I don't see any orders on your account yet.",
    "orders.recent": "Your recent orders:\n{rows}",
    "cancel.confirm": "Order #{order} ({items}; total {total}) is {status}. Do you want me to cancel it? "
    "You'll get a full refund to your original payment method.",
    "cancel.kept": "OK, I haven't changed anything. Order #{order} stays as it is.",
    "cancel.done": "Done: order #{order} is cancelled. A refund of {refund} goes back to your original "
    "payment method within 5-7 business days.",
    "cancel.already": "Order #{order} is already cancelled; nothing more to do.",
    "cancel.shipped": "Order #{order} has already shipped, so I can't cancel it any more. "
    "Once it arrives you can return it within the return window for a refund.",
    "cancel.delivered": "Order #{order} was already delivered. I can start a return instead if you like.",
    "cancel.not_possible": "Order #{order} is {status} and can't be cancelled.",
    # -- returns -------------------------------------------------------------------------
    "return.status.requested": "waiting for the parcel to reach our warehouse",
    "return.status.received": "received; the refund is being processed",
    "return.status.refunded": "refunded",
    "return.status.rejected": "rejected",
    "return.info": "Return {rma} for order #{order} ({items}) is {status}. Refund: {refund}.",
    "return.ineligible.not_delivered": "Order #{order} hasn't been delivered yet, so it can't be returned. "
    "If it's still being prepared I can cancel it instead.",
    "return.ineligible.window_closed": "The return window for order #{order} closed on {deadline} "
    "({days} days after delivery), so I can't start a return here. A person from our team "
    "can look at warranty options with you.",
    "return.ineligible.nothing_returnable": "Every item of order #{order} is already part of a return.",
    "return.ineligible.cancelled": "Order #{order} was cancelled, so there is nothing to return.",
    "return.ineligible": "I can't start a return for order #{order}.",
    "return.which_item_again": "Sorry, I didn't catch which item. Please pick one of the buttons.",
    "return.why_again": "Please tell me briefly why you're returning it.",
    "return.which_item": "Order #{order} can be returned until {deadline}. "
    "Which item would you like to return?\n{listing}",
    "return.confirm": "To confirm: return {items} from order #{order} (reason: {reason}) for an estimated "
    "refund of {refund}. Shall I start the return?",
    "return.not_started": "OK, I haven't started a return. Anything else?",
    "return.failed": "I couldn't start that return: {error}",
    "return.error.not_allowed": "this order can't be returned: {reason}",
    "return.error.no_items": "choose at least one item to return",
    "return.error.not_on_order": "items {items} are not on this order",
    "return.error.already_returned": "items {items} have already been returned",
    "return.started": "Your return is started.",
    "return.already_started": "You already started this return.",
    "return.created": "{intro} Your RMA number is {rma}. Estimated refund: {refund}.\n{instructions}",
    "return.instructions": "Pack the items with {rma} written on the parcel and drop it off within {days} days "
    "using the prepaid label we email you. Your refund of {refund} goes back to your original payment "
    "method within 5 business days after the parcel arrives.",
    "return.none_yet": "There's no return on order #{order} yet. Would you like to start one?",
    # -- products ------------------------------------------------------------------------
    "product.which_product": 'Which product do you mean? Tell me its name, e.g. "is the Summit Down Jacket in '
    'stock in M?"',
    "product.on_sale": "{sale} right now (usually {price}, {promotion})",
    "product.overview": "The {name} by {brand} ({sku}) is {price}.",
    "product.sizes_list": "sizes {sizes}",
    "product.colors_list": "colours {colors}",
    "product.in_stock_in": "In stock in {variants}.",
    "product.in_stock": "In stock.",
    "product.out_of_stock": "It's out of stock at the moment.",
    "product.size": "size {size}",
    "product.label": "the {name}",
    "product.label_variant": "the {name} in {variant}",
    "product.comes_in": " It comes in {options}.",
    "product.one_size": "The {name} comes in one size. {overview}",
    "product.none_now": "none right now",
    "product.sizes": "The {name} comes in sizes {sizes}. In stock: {stocked}.",
    "product.one_colour": "The {name} comes in one colour. {overview}",
    "product.colours": "The {name} comes in {colors}. In stock: {stocked}.",
    "product.specs": "{name} by {brand} ({category}), {price}.",
    "product.materials": "Materials: {materials}.",
    "product.rating": "Rated {rating}/5 by shoppers.",
    "product.which_one": "I found a few products with that name. Which one do you mean?",
    "product.called": ' called "{name}"',
    "product.by_that_name": " by that name",
    "product.not_found": "Sorry, I couldn't find a product{what} in our shop. Could you describe what you're "
    'looking for, e.g. "waterproof jacket under $80 in M"? I\'ll suggest a few.',
    "stock.not_made": "We don't make {label}.{made}",
    "stock.few_left": " Only a few left!",
    "stock.in_stock": "Yes, {label} is in stock ({quantity} available).{few} Price: {price}.",
    "stock.still_available": " Still available: {options}.",
    "stock.sold_out": "Sorry, {label} is sold out right now.{also}",
    "compare.head": "{a} vs {b}:",
    "compare.row": "- {label}: {a} | {b}",
    "compare.was": "{sale} (was {price}, {promotion})",
    "compare.price": "Price",
    "compare.brand": "Brand",
    "compare.category": "Category",
    "compare.materials": "Materials",
    "compare.rating": "Rating",
    "compare.sizes": "Sizes in stock",
    "compare.colours": "Colours in stock",
    "compare.same": "Those are the same product: {overview}",
    "compare.cheaper": "The {name} is {difference} cheaper.",
    "compare.better_rated": "The {name} is rated higher.",
    "filter.from": "from {price}",
    "filter.under": "under {price}",
    "filter.not": "not {colors}",
    # -- recommendations -----------------------------------------------------------------
    "recommend.unavailable": "Sorry, I can't suggest products right now: our product search is being updated. "
    "Please try again in a few minutes, or browse the shop's categories.",
    "recommend.similar": "Here are some products like the {name}",
    "recommend.goes_with": "These go well with the {name}",
    "recommend.filters": " ({filters})",
    "recommend.popular_unverified": "For personal picks I need to know who you are (sign in, or ask about one "
    "of your orders first). Meanwhile, these are popular right now",
    "recommend.personal": "Picked for you, based on your past orders",
    "recommend.found": "Here's what I found",
    "recommend.note": "Note: I {note}. {intro}",
    "recommend.nothing": "I couldn't find anything in stock that matches all of that. Could you loosen "
    "a constraint, e.g. a higher budget or another size or colour?",
    "recommend.heading": "{intro}:",
    "carousel.line": "{n}. {name} ({brand}) - {price}",
    "note.bad_price": "ignored a price that was negative or not a number",
    "note.swapped": "the price bounds were the wrong way round; swapped them",
    "note.zero_max": "ignored a maximum price of zero",
    "note.truncated": "only the first {chars} characters were read",
    "note.colours_kept": "kept only the first {count} excluded colours",
    # -- fallback ------------------------------------------------------------------------
    "fallback.did_you_mean": "Sorry, I'm not sure I understood. Did you mean one of these?",
    "intent.order_status": "Track an order",
    "intent.list_orders": "See my recent orders",
    "intent.cancel_order": "Cancel an order",
    "intent.return_item": "Return an item",
    "intent.return_status": "Check a return or refund",
    "intent.human_handoff": "Talk to a person",
    "intent.product_question": "Ask about a product",
    "intent.recommend_product": "Get product suggestions",
    "intent.apply_coupon": "Use a coupon code",
    "intent.ask_discounts": "See current deals",
    "intent.greet": "Just saying hi",
    "intent.bot_challenge": "Am I talking to a bot?",
    "intent.something_else": "Something else",
    # -- hand-off ------------------------------------------------------------------------
    "handoff.rate_limited": "There have been a lot of requests for a person from here in a short time, so I "
    "can't open another one right now. Please ask again in about {when}, or email {email}.",
    "handoff.already_queued": "You're already in the queue. ",
    "handoff.requested": "{already}I've asked a person from our support team to join this chat "
    "(request #{request}). During opening hours (Mon-Fri 9:00-18:00 ET) someone "
    "usually replies within 10 minutes; outside them, first thing the next working day. "
    "Stay in this chat: they'll see everything we've said so far, so you won't need "
    "to repeat yourself. I'll stay quiet until they're done.",
    # -- cart, codes and deals -----------------------------------------------------------
    "cart.empty": 'Your cart is empty. Tell me what to add, e.g. "add the Summit Quilted Jacket X in M".',
    "cart.heading": "Your cart:\n{cart}",
    "cart.line": "• {quantity} × {name}: {price}",
    "cart.discount": "  {text}",
    "cart.discount_label": "{name}: -{amount}, {what}",
    "cart.free": "free",
    "cart.subtotal": "Subtotal {amount}",
    "cart.discounts": ", discounts -{amount}",
    "cart.shipping": ", shipping {amount}",
    "cart.tax": ", tax {amount}",
    "cart.total": ". Total: {amount}.",
    "cart.variant": " ({variant})",
    "cart.added": "Added {quantity} × {name}{variant} to your cart.",
    "cart.empty_now": "Your cart is empty now.",
    "cart.removed": "Removed {name} from your cart.\n{rest}",
    "cart.which_one": "Which one do you mean: {candidates}?",
    "cart.pick_variant": 'Which one of the {name}? It comes in {options}. Tell me e.g. "add the {name} in '
    '{example}".',
    "cart.no_such_variant": "The {name} doesn't come in that combination. It comes in sizes {sizes} and "
    "colours {colors}.",
    "cart.not_in_cart": "I don't see {name} in your cart.",
    "cart.bad_quantity": "I can add between 1 and {most} of an item at a time.",
    "cart.product_not_found": "I couldn't find that product. Could you give me its name as it appears in the shop?",
    "coupon.terms": "{terms} Your cart is empty right now; the discount is taken off at checkout.",
    "coupon.where_item": "the {name}",
    "coupon.where_cart": "your cart",
    "coupon.no_saving": "{code} is valid, but it doesn't lower the price of {where}: {explained}. Total: {total}.",
    "coupon.works": "{code} works: {where} comes to {total} instead of {before} (you save {saved}).",
    "coupon.rejected.unknown_code": "That code isn't one we recognise. Please check the spelling.",
    "coupon.rejected.inactive": "{code} is not active at the moment.",
    "coupon.rejected.not_started": "{code} can be used from {day}.",
    "coupon.rejected.expired": "{code} expired on {day}.",
    "coupon.rejected.limit_reached": "{code} has been used the maximum number of times.",
    "coupon.rejected.already_used_by_customer": "You have already used {code}; it can be used {times} per customer.",
    "coupon.rejected.sign_in_required": "Please sign in or verify your account to use {code}.",
    "coupon.rejected.first_order_only": "{code} is for a first order only.",
    "coupon.rejected.min_subtotal_not_met": "{code} needs a subtotal of {minimum}: spend {missing} more.",
    "coupon.rejected.min_quantity_not_met": "{code} needs at least {minimum} items in the cart: add {more}.",
    "coupon.rejected.no_eligible_items": "{code} applies to {applies_to}, and nothing in the cart qualifies.",
    "coupon.rejected.not_combinable": "{code} can't be combined with {kept}; we kept the better deal.",
    "coupon.rejected.too_many_attempts": "That's too many codes that didn't work. Please wait {wait} before "
    "trying another one.",
    "deals.personal": "Just for you:\n{offers}",
    "deals.public": "Running now:\n{offers}",
    "deals.none": "There are no deals running right now.",
    "deals.verify_for_personal": "If you're signed in, or tell me an order number and its email, "
    "I can check for offers just for you.",
    "deals.line": "• {sentence}",
    "deals.titled_line": "• {title}: {sentence}",
}
