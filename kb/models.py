"""Imports every room's models so that Alembic and create_all see all tables."""

from __future__ import annotations

from kb.articles.models import Article, ArticleRevision, ContentVersion, Redirect, Vote
from kb.auth.models import ApiToken, User
from kb.catalogue.models import Product, ProductVariant
from kb.contact.models import ContactRequest
from kb.desk.models import SavedReply
from kb.insights.models import ArticleView, HelpVisitDay
from kb.mail.models import OutboxMessage, Webhook
from kb.orders.models import Order, OrderItem
from kb.returns.models import WizardSession
from kb.search.models import SearchLog
from kb.shops.models import PlatformOrder, WebhookDelivery
from kb.tickets.models import Attachment, Refund, Ticket, TicketEvent, TicketItem

__all__ = [
    "ApiToken",
    "ArticleView",
    "Attachment",
    "ContactRequest",
    "HelpVisitDay",
    "OutboxMessage",
    "PlatformOrder",
    "Product",
    "ProductVariant",
    "Refund",
    "Ticket",
    "TicketEvent",
    "TicketItem",
    "Webhook",
    "WebhookDelivery",
    "WizardSession",
    "Article",
    "ArticleRevision",
    "ContentVersion",
    "Order",
    "OrderItem",
    "Redirect",
    "SavedReply",
    "SearchLog",
    "User",
    "Vote",
]
